// Camera frames from CameraX and android.media, classified in place (no copy).
//
// Hand-written (not generated); Android only. The work is done by DirectFrames.kt, which
// the JVM tests in tests/kotlin run: this file only maps Android's image types onto it.
package org.lesionscan

import android.graphics.ImageFormat
import android.media.Image
import androidx.camera.core.ImageProxy

/**
 * Classifies a CameraX frame where it lies: the planes' direct buffers are read in place
 * for the duration of the call, and the frame is turned upright with
 * `imageInfo.rotationDegrees`.
 *
 * Works with `ImageAnalysis` in its default `YUV_420_888` output and with
 * `OUTPUT_IMAGE_FORMAT_RGBA_8888`. Call it from the analyzer (not the UI thread) and
 * close the image after it returns, as CameraX asks:
 *
 * ```kotlin
 * analysis.setAnalyzer(executor) { image ->
 *     image.use { val result = classifier.classify(it, patient) }
 * }
 * ```
 *
 * @throws LesionScanException.Unsupported for other image formats.
 * @throws LesionScanException.InvalidFrame when the planes do not add up.
 */
fun Classifier.classify(
    image: ImageProxy,
    patient: PatientInfo? = null,
    options: ImageOptions = ImageOptions(),
): Classification {
    val planes = image.planes.map { DirectPlane(it.buffer, it.rowStride, it.pixelStride) }
    return classifyFrame(
        image.width,
        image.height,
        pixelFormatOf(image.format),
        planes,
        image.imageInfo.rotationDegrees,
        options,
        patient,
    )
}

/**
 * Classifies an `android.media.Image` (from an `ImageReader` or Camera2) where it lies.
 * [rotationDegrees] is the clockwise rotation that makes it upright (sensor orientation
 * relative to the display).
 *
 * @throws LesionScanException.Unsupported for formats other than `YUV_420_888` and `RGBA_8888`.
 */
fun Classifier.classify(
    image: Image,
    rotationDegrees: Int,
    patient: PatientInfo? = null,
    options: ImageOptions = ImageOptions(),
): Classification {
    val planes = image.planes.map { DirectPlane(it.buffer, it.rowStride, it.pixelStride) }
    return classifyFrame(
        image.width,
        image.height,
        pixelFormatOf(image.format),
        planes,
        rotationDegrees,
        options,
        patient,
    )
}

/** The library's name for an Android image format (shared with LiveCameraX.kt). */
internal fun pixelFormatOf(format: Int): PixelFormat = when (format) {
    // Three planes with their own strides; chroma pixel stride 1 or 2.
    ImageFormat.YUV_420_888 -> PixelFormat.I420
    android.graphics.PixelFormat.RGBA_8888 -> PixelFormat.RGBA8888
    else -> throw LesionScanException.Unsupported(
        "image format $format: use YUV_420_888 (CameraX's default) or RGBA_8888",
    )
}
