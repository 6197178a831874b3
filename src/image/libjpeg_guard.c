/*
 * One call into libjpeg-turbo (as vendored by mozjpeg-sys) that decodes a JPEG held in
 * memory and never lets libjpeg's error handling reach Rust.
 *
 * libjpeg reports a fatal error by calling error_exit, which must not return. Here it
 * longjmp()s back to the setjmp() in lesionscan_jpeg_decode, whose frames are all C, so
 * no Rust frame is ever skipped and it works whatever the Rust panic strategy is
 * (`panic = "abort"` included). Warnings that mean picture data was lost (the data ends
 * early, a corrupt entropy-coded segment, a missing restart marker) are treated as
 * errors too: libjpeg would otherwise fill the missing part with grey and carry on.
 *
 * src/image/jpeg.rs is the only caller.
 */

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "jpeglib.h"
#include "jerror.h"

/* Return values of lesionscan_jpeg_decode. */
#define LESIONSCAN_JPEG_OK 0
#define LESIONSCAN_JPEG_LIBJPEG_ERROR 1
#define LESIONSCAN_JPEG_UNEXPECTED_SHAPE 2

typedef struct {
  struct jpeg_error_mgr pub; /* first, so that cinfo->err points at the whole struct */
  jmp_buf jump;
  char *message;             /* JMSG_LENGTH_MAX bytes, owned by the caller */
} guard_error_mgr;

static void fail(j_common_ptr cinfo) {
  guard_error_mgr *err = (guard_error_mgr *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, err->message);
  longjmp(err->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) {
    return; /* trace messages */
  }
  switch (cinfo->err->msg_code) {
  case JWRN_JPEG_EOF:
  case JWRN_HIT_MARKER:
  case JWRN_HUFF_BAD_CODE:
  case JWRN_MUST_RESYNC:
#if JPEG_LIB_VERSION >= 70 || defined(D_ARITH_CODING_SUPPORTED)
  case JWRN_ARITH_BAD_CODE:
#endif
    fail(cinfo);
    break;
  default:
    cinfo->err->num_warnings++;
    break;
  }
}

/*
 * Decodes `size` bytes at `data` at scale_num/8 of the picture's size, with libjpeg's
 * defaults otherwise (accurate integer IDCT, fancy upsampling, block smoothing), into
 * `out`: `height` rows of `width * channels` bytes, where channels is 3 (RGB; grey is
 * expanded) or 4 (CMYK, for CMYK and YCCK files, as stored). The caller states the
 * width, height and channel count it expects and provides `out_len` bytes; anything
 * else is refused before a byte is written. On failure `message` (JMSG_LENGTH_MAX
 * bytes) holds libjpeg's text for the error.
 */
int lesionscan_jpeg_decode(const unsigned char *data, unsigned long size, int scale_num,
                           unsigned int width, unsigned int height, int channels,
                           unsigned char *out, size_t out_len, char *message) {
  struct jpeg_decompress_struct cinfo;
  guard_error_mgr err;
  size_t stride = (size_t)width * (size_t)channels;

  message[0] = '\0';
  memset(&cinfo, 0, sizeof(cinfo));
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = fail;
  err.pub.emit_message = on_message;
  err.message = message;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return LESIONSCAN_JPEG_LIBJPEG_ERROR;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  cinfo.scale_num = (unsigned int)scale_num;
  cinfo.scale_denom = 8;
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    cinfo.out_color_space = JCS_CMYK;
  } else {
    cinfo.out_color_space = JCS_RGB;
  }
  jpeg_calc_output_dimensions(&cinfo);
  if (cinfo.output_width != width || cinfo.output_height != height ||
      cinfo.output_components != channels || stride == 0 ||
      out_len / stride < (size_t)height) {
    snprintf(message, JMSG_LENGTH_MAX, "decoder output is %ux%u with %d channels",
             cinfo.output_width, cinfo.output_height, cinfo.output_components);
    jpeg_destroy_decompress(&cinfo);
    return LESIONSCAN_JPEG_UNEXPECTED_SHAPE;
  }
  jpeg_start_decompress(&cinfo);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = out + (size_t)cinfo.output_scanline * stride;
    if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
      snprintf(message, JMSG_LENGTH_MAX, "the decoder stopped at row %u",
               cinfo.output_scanline);
      jpeg_destroy_decompress(&cinfo);
      return LESIONSCAN_JPEG_LIBJPEG_ERROR;
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return LESIONSCAN_JPEG_OK;
}
