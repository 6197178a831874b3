// LiteRT's model-dependent entry points, guarded (see guard.h). LiteRT 2.1.4's C API lets
// some C++ exceptions escape, for example std::out_of_range from
// LiteRtCreateModelFromBuffer on a damaged flatbuffer; src/engine/litert.rs calls these
// three functions only through the wrappers below.

#include <cstddef>

#include "guard.h"

extern "C" {

// Declarations matching litert/c/litert_model.h and litert_compiled_model.h (2.1.4);
// handles are opaque pointers and LiteRtStatus is a C enum.
int LiteRtCreateModelFromBuffer(const void* buffer_addr, size_t buffer_size, void** model);
int LiteRtCreateCompiledModel(void* environment, void* model, void* options, void** compiled_model);
int LiteRtRunCompiledModel(void* compiled_model, size_t signature_index, size_t num_input_buffers,
                           void** input_buffers, size_t num_output_buffers, void** output_buffers);

int lesionscan_create_model_from_buffer(const void* buffer_addr, size_t buffer_size, void** model,
                                        char* message, size_t message_len) {
  return lesionscan_guard(message, message_len,
                          [&] { return LiteRtCreateModelFromBuffer(buffer_addr, buffer_size, model); });
}

int lesionscan_create_compiled_model(void* environment, void* model, void* options, void** compiled_model,
                                     char* message, size_t message_len) {
  return lesionscan_guard(message, message_len, [&] {
    return LiteRtCreateCompiledModel(environment, model, options, compiled_model);
  });
}

int lesionscan_run_compiled_model(void* compiled_model, size_t signature_index, size_t num_input_buffers,
                                  void** input_buffers, size_t num_output_buffers, void** output_buffers,
                                  char* message, size_t message_len) {
  return lesionscan_guard(message, message_len, [&] {
    return LiteRtRunCompiledModel(compiled_model, signature_index, num_input_buffers, input_buffers,
                                  num_output_buffers, output_buffers);
  });
}

}  // extern "C"
