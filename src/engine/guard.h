// The one way LesionScan calls into a C++ inference runtime.
//
// Runtimes expose C APIs, but they are C++ underneath, and a C++ exception that unwinds
// into Rust aborts the process. Each engine's small .cc file (litert_guard.cc,
// tflite_c_guard.cc) wraps the runtime calls that can throw in `lesionscan_guard`, which
// catches everything and returns kLesionScanCaughtException with the exception's text in a
// caller-owned buffer. On the Rust side, `policy::call_guarded` turns that into an error.

#ifndef LESIONSCAN_ENGINE_GUARD_H_
#define LESIONSCAN_ENGINE_GUARD_H_

#include <cstddef>
#include <cstdio>
#include <exception>

// Must equal `policy::CAUGHT_EXCEPTION` in src/engine/policy.rs.
static const int kLesionScanCaughtException = -1000;

// Writes `text` into the caller's buffer, always NUL-terminated, never past `message_len`.
inline void lesionscan_write_message(char* message, size_t message_len, const char* text) {
  if (message != nullptr && message_len > 0) {
    std::snprintf(message, message_len, "%s", text != nullptr ? text : "");
  }
}

// Runs `call` (a lambda returning the runtime's status as an int) and returns its result,
// or kLesionScanCaughtException when it threw.
template <typename Call>
int lesionscan_guard(char* message, size_t message_len, Call&& call) {
  try {
    return static_cast<int>(call());
  } catch (const std::exception& e) {
    lesionscan_write_message(message, message_len, e.what());
  } catch (...) {
    lesionscan_write_message(message, message_len, "an unknown C++ exception");
  }
  return kLesionScanCaughtException;
}

#endif  // LESIONSCAN_ENGINE_GUARD_H_
