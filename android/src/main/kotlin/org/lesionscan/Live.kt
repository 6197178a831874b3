// Live camera frames in direct ByteBuffers, handed to a LiveSession without copying.
//
// Hand-written (not generated). Plain Kotlin/JVM with no Android classes, so the JVM
// tests in tests/kotlin compile and run this exact file; LiveCameraX.kt builds on it.
package org.lesionscan

/**
 * Hands a camera frame whose planes are direct [java.nio.ByteBuffer]s to the session,
 * without copying them: the library converts the frame to the model's input size from
 * the camera's memory and returns at once; the model runs later on the session's worker
 * thread. The buffers are not read after this returns, so the image can be closed.
 *
 * For CameraX use `pushFrame(imageProxy)`; this is the general form. For Android's
 * `YUV_420_888` pass [PixelFormat.I420] and the planes Y, U, V with their own strides.
 *
 * @param width frame width as stored (before rotation), in pixels.
 * @param height frame height as stored, in pixels.
 * @param rotationDegrees clockwise rotation that makes the frame upright (CameraX's
 *   `imageInfo.rotationDegrees`); a multiple of 90.
 * @param timestampMs the frame's capture time in milliseconds on a monotonic clock
 *   (CameraX: `imageInfo.timestamp / 1_000_000`); greater than the previous frame's.
 * @throws LesionScanException.Closed after [LiveSession.stop].
 * @throws LesionScanException.InvalidArgument for a timestamp that is negative or not
 *   after the previous frame's, or a rotation that is not a multiple of 90.
 * @throws LesionScanException.InvalidFrame for a heap (non-direct) buffer, non-positive
 *   sizes or strides, or planes too short for their strides; nothing is read out of
 *   bounds.
 */
fun LiveSession.pushFrame(
    width: Int,
    height: Int,
    format: PixelFormat,
    planes: List<DirectPlane>,
    rotationDegrees: Int,
    timestampMs: Long,
) {
    if (timestampMs < 0) {
        throw LesionScanException.InvalidArgument("frame timestamp $timestampMs ms is negative")
    }
    withRawFrame(width, height, format, planes, rotationDegrees) { frame ->
        pushRawFrame(frame, timestampMs.toULong())
    }
}
