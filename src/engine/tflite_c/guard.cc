// The classic TFLite C API's model-dependent entry points, guarded (see ../guard.h), and the
// error reporter that keeps the runtime's messages for the error LesionScan returns.
//
// The C API is C++ underneath: parsing a model, building an interpreter, allocating tensors
// and running kernels allocate with `new` and use the standard library, so they can throw
// (std::bad_alloc at least). src/engine/tflite_c/mod.rs calls these four functions only
// through the wrappers below. The calls that only read a tensor's fields cannot throw and
// are declared directly in src/engine/tflite_c/ffi.rs.

#include <cstdarg>
#include <cstddef>
#include <cstdio>

#include "../guard.h"

extern "C" {

// Declarations matching tensorflow/lite/c/c_api.h, unchanged from TF 2.6 through 2.17.
// Handles are opaque; TfLiteStatus is a C enum (kTfLiteOk = 0).
typedef struct TfLiteModel TfLiteModel;
typedef struct TfLiteInterpreterOptions TfLiteInterpreterOptions;
typedef struct TfLiteInterpreter TfLiteInterpreter;

TfLiteModel* TfLiteModelCreate(const void* model_data, size_t model_size);
TfLiteInterpreter* TfLiteInterpreterCreate(const TfLiteModel* model,
                                           const TfLiteInterpreterOptions* optional_options);
int TfLiteInterpreterAllocateTensors(TfLiteInterpreter* interpreter);
int TfLiteInterpreterInvoke(TfLiteInterpreter* interpreter);
void TfLiteInterpreterOptionsSetErrorReporter(TfLiteInterpreterOptions* options,
                                              void (*reporter)(void* user_data, const char* format,
                                                               va_list args),
                                              void* user_data);

// Where the runtime's error messages go. Must match `ErrorLogData` in mod.rs: the messages
// so far, "; "-separated and NUL-terminated, and their length without the NUL.
struct LesionScanErrorLog {
  char text[1024];
  size_t len;
};

static void lesionscan_tflite_report(void* user_data, const char* format, va_list args) {
  LesionScanErrorLog* log = static_cast<LesionScanErrorLog*>(user_data);
  if (log == nullptr || format == nullptr || log->len + 1 >= sizeof(log->text)) {
    return;
  }
  if (log->len > 0) {
    int sep = std::snprintf(log->text + log->len, sizeof(log->text) - log->len, "; ");
    if (sep < 0) {
      return;
    }
    log->len += static_cast<size_t>(sep);
    if (log->len + 1 >= sizeof(log->text)) {
      log->len = sizeof(log->text) - 1;
      return;
    }
  }
  size_t room = sizeof(log->text) - log->len;
  int written = std::vsnprintf(log->text + log->len, room, format, args);
  if (written < 0) {
    log->text[log->len] = '\0';
    return;
  }
  // vsnprintf reports the length it wanted; it wrote at most room - 1 characters.
  log->len += static_cast<size_t>(written) < room ? static_cast<size_t>(written) : room - 1;
}

void lesionscan_tflite_set_error_reporter(TfLiteInterpreterOptions* options, LesionScanErrorLog* log) {
  TfLiteInterpreterOptionsSetErrorReporter(options, &lesionscan_tflite_report, log);
}

int lesionscan_tflite_model_create(const void* model_data, size_t model_size, TfLiteModel** model,
                                   char* message, size_t message_len) {
  return lesionscan_guard(message, message_len, [&] {
    *model = TfLiteModelCreate(model_data, model_size);
    return 0;
  });
}

int lesionscan_tflite_interpreter_create(const TfLiteModel* model, const TfLiteInterpreterOptions* options,
                                         TfLiteInterpreter** interpreter, char* message, size_t message_len) {
  return lesionscan_guard(message, message_len, [&] {
    *interpreter = TfLiteInterpreterCreate(model, options);
    return 0;
  });
}

int lesionscan_tflite_allocate_tensors(TfLiteInterpreter* interpreter, char* message, size_t message_len) {
  return lesionscan_guard(message, message_len, [&] { return TfLiteInterpreterAllocateTensors(interpreter); });
}

int lesionscan_tflite_invoke(TfLiteInterpreter* interpreter, char* message, size_t message_len) {
  return lesionscan_guard(message, message_len, [&] { return TfLiteInterpreterInvoke(interpreter); });
}

}  // extern "C"
