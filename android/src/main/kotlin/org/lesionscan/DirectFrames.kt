// Zero-copy camera frames: planes in direct ByteBuffers, read in place by the library.
//
// Hand-written (not generated). Plain Kotlin/JVM with no Android classes, so the
// JVM tests in tests/kotlin compile and run this exact file; CameraX.kt builds on it.
package org.lesionscan

import java.nio.ByteBuffer

/**
 * One plane of a camera image, held in a direct [ByteBuffer] (as CameraX's
 * `ImageProxy.PlaneProxy.buffer` and `android.media.Image.Plane.buffer` are).
 *
 * The plane starts at the buffer's first byte (index 0, whatever its position) and is
 * as long as the buffer's capacity: the library takes both from the JVM, never from
 * these numbers.
 *
 * @property buffer the plane's memory; must be direct (`isDirect`), read-only is fine.
 * @property rowStride bytes from the start of one row to the start of the next.
 * @property pixelStride bytes from one sample to the next within a row.
 */
class DirectPlane(val buffer: ByteBuffer, val rowStride: Int, val pixelStride: Int)

/**
 * Classifies a camera frame whose planes are direct [ByteBuffer]s, without copying them:
 * the library reads the camera's memory in place for the duration of the call and
 * writes only the model-sized picture. Returns the same [Classification] as
 * [Classifier.classifyImage].
 *
 * For CameraX use `classify(imageProxy)`; this is the general form. For Android's
 * `YUV_420_888` pass [PixelFormat.I420] and the three planes Y, U, V with their own
 * strides (a chroma pixel stride of 2, as most cameras deliver, is read as it is).
 *
 * Synchronous: call it from the analysis thread, not the UI thread. Keep the image
 * open until it returns.
 *
 * @param width frame width as stored (before rotation), in pixels.
 * @param height frame height as stored, in pixels.
 * @param rotationDegrees clockwise rotation that makes the frame upright (CameraX's
 *   `imageInfo.rotationDegrees`); a multiple of 90.
 * @throws LesionScanException.InvalidFrame for a heap (non-direct) buffer, non-positive
 *   sizes or strides, or planes too short for their strides; nothing is read out of
 *   bounds.
 * @throws LesionScanException.InvalidArgument for a rotation that is not a multiple of
 *   90, a bad region of interest or patient age.
 */
fun Classifier.classifyFrame(
    width: Int,
    height: Int,
    format: PixelFormat,
    planes: List<DirectPlane>,
    rotationDegrees: Int = 0,
    options: ImageOptions = ImageOptions(),
    patient: PatientInfo? = null,
): Classification = withRawFrame(width, height, format, planes, rotationDegrees) { frame ->
    classifyRawFrame(frame, options, patient)
}

/**
 * Runs [block] with a [RawFrame] that points at the planes' memory, and keeps the buffers
 * reachable until it returns. The zero-copy entries (`Classifier.classifyFrame` here,
 * `LiveSession.pushFrame` in Live.kt) share it.
 */
internal inline fun <R> withRawFrame(
    width: Int,
    height: Int,
    format: PixelFormat,
    planes: List<DirectPlane>,
    rotationDegrees: Int,
    block: (RawFrame) -> R,
): R {
    if (width <= 0 || height <= 0) {
        throw LesionScanException.InvalidFrame("frame size ${width}x$height is not positive")
    }
    val rotation = rotationFromDegrees(rotationDegrees)
    val buffers = Array(planes.size) { planes[it].buffer }
    val located = DirectBuffers.addresses(buffers)
    try {
        val raw = planes.mapIndexed { index, plane ->
            val address = located[2 * index]
            val capacity = located[2 * index + 1]
            if (capacity < 0 || (address == 0L && capacity > 0)) {
                throw LesionScanException.InvalidFrame(
                    "plane $index is not a direct ByteBuffer; the zero-copy path reads the " +
                        "camera's own memory (use classifyFrame(CameraFrame) to copy a heap buffer)",
                )
            }
            if (plane.rowStride <= 0 || plane.pixelStride <= 0) {
                throw LesionScanException.InvalidFrame(
                    "plane $index: row stride ${plane.rowStride} and pixel stride " +
                        "${plane.pixelStride} must be positive",
                )
            }
            RawPlane(
                address = address.toULong(),
                length = capacity.toULong(),
                rowStride = plane.rowStride.toUInt(),
                pixelStride = plane.pixelStride.toUInt(),
            )
        }
        return block(RawFrame(width.toUInt(), height.toUInt(), format, raw, rotation))
    } finally {
        // The buffers must stay reachable (a direct buffer's memory can be freed with
        // it) until Rust has finished reading them.
        DirectBuffers.keepReachable(buffers)
    }
}

/**
 * The JNI side of the zero-copy path (`uniffi/src/jvm.rs`), in the same native library
 * that JNA loads for the generated bindings.
 */
internal object DirectBuffers {
    init {
        System.loadLibrary("lesionscan_ffi")
    }

    /** For buffer `i`: element `2i` its address, `2i + 1` its capacity (0 and -1 when not direct). */
    @JvmStatic external fun addresses(buffers: Array<ByteBuffer>): LongArray

    /** Does nothing, in native code: the buffers are reachable until it is called. */
    @JvmStatic external fun keepReachable(buffers: Array<ByteBuffer>)
}
