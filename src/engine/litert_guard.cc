// C++ exceptions must never unwind into Rust (the process would abort). LiteRT 2.1.4's
// C API lets some escape, for example std::out_of_range from
// LiteRtCreateModelFromBuffer on a damaged flatbuffer. These wrappers catch them and
// return a status instead; src/engine/litert.rs calls LiteRT's model-dependent entry
// points only through them.

#include <cstddef>
#include <cstdio>
#include <exception>

extern "C" {

// Declarations matching litert/c/litert_model.h and litert_compiled_model.h (2.1.4);
// handles are opaque pointers and LiteRtStatus is a C enum.
int LiteRtCreateModelFromBuffer(const void* buffer_addr, size_t buffer_size, void** model);
int LiteRtCreateCompiledModel(void* environment, void* model, void* options, void** compiled_model);
int LiteRtRunCompiledModel(void* compiled_model, size_t signature_index, size_t num_input_buffers,
                           void** input_buffers, size_t num_output_buffers, void** output_buffers);

// Returned when a C++ exception was caught; `message` then holds its what().
static const int kLesionScanCaughtException = -1000;

static int caught(const std::exception* e, char* message, size_t message_len) {
  if (message != nullptr && message_len > 0) {
    std::snprintf(message, message_len, "%s", e != nullptr ? e->what() : "unknown C++ exception");
  }
  return kLesionScanCaughtException;
}

int lesionscan_create_model_from_buffer(const void* buffer_addr, size_t buffer_size, void** model,
                                        char* message, size_t message_len) {
  try {
    return LiteRtCreateModelFromBuffer(buffer_addr, buffer_size, model);
  } catch (const std::exception& e) {
    return caught(&e, message, message_len);
  } catch (...) {
    return caught(nullptr, message, message_len);
  }
}

int lesionscan_create_compiled_model(void* environment, void* model, void* options, void** compiled_model,
                                     char* message, size_t message_len) {
  try {
    return LiteRtCreateCompiledModel(environment, model, options, compiled_model);
  } catch (const std::exception& e) {
    return caught(&e, message, message_len);
  } catch (...) {
    return caught(nullptr, message, message_len);
  }
}

int lesionscan_run_compiled_model(void* compiled_model, size_t signature_index, size_t num_input_buffers,
                                  void** input_buffers, size_t num_output_buffers, void** output_buffers,
                                  char* message, size_t message_len) {
  try {
    return LiteRtRunCompiledModel(compiled_model, signature_index, num_input_buffers, input_buffers,
                                  num_output_buffers, output_buffers);
  } catch (const std::exception& e) {
    return caught(&e, message, message_len);
  } catch (...) {
    return caught(nullptr, message, message_len);
  }
}

}  // extern "C"
