// CameraX frames into a LiveSession, read in place (no copy).
//
// Hand-written (not generated); Android only. The work is done by Live.kt and
// DirectFrames.kt, which the JVM tests in tests/kotlin run: this file only maps CameraX's
// ImageProxy onto them (its formats as CameraX.kt maps them).
package org.lesionscan

import androidx.camera.core.ImageProxy

/**
 * Hands a CameraX frame to the session where it lies: the planes' direct buffers are
 * converted to the model's input size in place, turned upright with
 * `imageInfo.rotationDegrees` and stamped with `imageInfo.timestamp` (nanoseconds,
 * monotonic). Returns at once; close the image after it returns, as CameraX asks:
 *
 * ```kotlin
 * analysis.setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
 * analysis.setAnalyzer(executor) { image ->
 *     image.use { session.pushFrame(it) }
 * }
 * ```
 *
 * Works with `ImageAnalysis` in its default `YUV_420_888` output and with
 * `OUTPUT_IMAGE_FORMAT_RGBA_8888`.
 *
 * @throws LesionScanException.Closed after [LiveSession.stop].
 * @throws LesionScanException.Unsupported for other image formats.
 * @throws LesionScanException.InvalidFrame when the planes do not add up.
 */
fun LiveSession.pushFrame(image: ImageProxy) {
    val format = pixelFormatOf(image.format)
    val planes = image.planes.map { DirectPlane(it.buffer, it.rowStride, it.pixelStride) }
    pushFrame(
        image.width,
        image.height,
        format,
        planes,
        image.imageInfo.rotationDegrees,
        image.imageInfo.timestamp / 1_000_000,
    )
}
