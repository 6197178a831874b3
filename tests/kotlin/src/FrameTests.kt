// The zero-copy camera path (DirectFrames.kt + uniffi/src/jvm.rs + classifyRawFrame):
// direct ByteBuffers laid out as Android cameras deliver YUV_420_888, read in place,
// must give exactly what the copied CameraFrame gives; bad buffers are typed errors.
package org.lesionscan.tests

import java.nio.ByteBuffer
import javax.imageio.ImageIO
import org.lesionscan.CameraFrame
import org.lesionscan.DirectPlane
import org.lesionscan.FramePlane
import org.lesionscan.ImageOptions
import org.lesionscan.LesionScanException
import org.lesionscan.PixelFormat
import org.lesionscan.Rotation
import org.lesionscan.classifyFrame

/**
 * A YUV_420_888 frame as a phone camera hands it over: a Y plane with padded rows, and
 * U and V planes that are two views, one byte apart, of one interleaved VU buffer
 * (chroma pixel stride 2), each one byte shorter than a whole number of rows.
 */
class CameraYuv(val width: Int, val height: Int, val rowStride: Int) {
    val y: ByteBuffer
    val vu: ByteBuffer
    val u: ByteBuffer
    val v: ByteBuffer

    init {
        // The test photo, sampled down to the frame size, converted with BT.601 full range.
        val picture = ImageIO.read(photo)
        val yBytes = ByteArray(rowStride * (height - 1) + width)
        val chromaRows = (height + 1) / 2
        val chromaCols = (width + 1) / 2
        val vuBytes = ByteArray(rowStride * (chromaRows - 1) + 2 * chromaCols)
        fun rgb(x: Int, y: Int) = picture.getRGB(x * picture.width / width, y * picture.height / height)
        for (row in 0 until height) {
            for (col in 0 until width) {
                val p = rgb(col, row)
                val r = (p shr 16) and 0xff
                val g = (p shr 8) and 0xff
                val b = p and 0xff
                yBytes[row * rowStride + col] = clamp(0.299 * r + 0.587 * g + 0.114 * b)
                if (row % 2 == 0 && col % 2 == 0) {
                    val at = (row / 2) * rowStride + col
                    vuBytes[at] = clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
                    vuBytes[at + 1] = clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b)
                }
            }
        }
        y = ByteBuffer.allocateDirect(yBytes.size).put(yBytes).also { it.rewind() }
        vu = ByteBuffer.allocateDirect(vuBytes.size).put(vuBytes).also { it.rewind() }
        v = vu.duplicate().also { it.limit(vuBytes.size - 1) }.slice()
        u = vu.duplicate().also { it.position(1) }.slice()
    }

    fun directPlanes() = listOf(DirectPlane(y, rowStride, 1), DirectPlane(u, rowStride, 2), DirectPlane(v, rowStride, 2))

    /** The same frame with its planes copied into byte arrays (the bytes each buffer holds). */
    fun copied(format: PixelFormat, rotation: Rotation): CameraFrame {
        val planes = when (format) {
            PixelFormat.I420 -> listOf(y, u, v).map { FramePlane(bytesOf(it), rowStride.toUInt(), if (it === y) 1u else 2u) }
            PixelFormat.NV21 -> listOf(FramePlane(bytesOf(y), rowStride.toUInt(), 1u), FramePlane(bytesOf(vu), rowStride.toUInt(), 2u))
            else -> error("not a YUV layout: $format")
        }
        return CameraFrame(width.toUInt(), height.toUInt(), format, planes, rotation)
    }

    private fun clamp(value: Double) = Math.round(value).coerceIn(0, 255).toByte()
}

fun bytesOf(buffer: ByteBuffer): ByteArray = ByteArray(buffer.capacity()).also { buffer.duplicate().also { d -> d.clear() }.get(it) }

val frameTests = listOf(
    test("a YUV_420_888 frame in direct buffers equals the copied frame") {
        val frame = CameraYuv(width = 320, height = 240, rowStride = 384)
        fixture("mobilenet_tiny_int8").use { classifier ->
            val zeroCopy = classifier.classifyFrame(320, 240, PixelFormat.I420, frame.directPlanes(), rotationDegrees = 90)
            val copied = classifier.classifyFrame(frame.copied(PixelFormat.I420, Rotation.R90), ImageOptions(), null)
            assertEquals(answer(copied), answer(zeroCopy), "zero-copy against copied I420")
            // The same memory read as NV21 (Y + interleaved VU) is the same picture.
            val nv21 = classifier.classifyFrame(frame.copied(PixelFormat.NV21, Rotation.R90), ImageOptions(), null)
            assertEquals(answer(nv21), answer(zeroCopy), "zero-copy I420 against copied NV21")
            // Rotation is honoured: upright and turned frames are different pictures.
            val unrotated = classifier.classifyFrame(320, 240, PixelFormat.I420, frame.directPlanes(), rotationDegrees = 0)
            assertTrue(answer(unrotated) != answer(zeroCopy), "rotation changes the picture")
        }
    },

    test("odd frame sizes and a region of interest work on the zero-copy path") {
        val frame = CameraYuv(width = 201, height = 153, rowStride = 224)
        val options = ImageOptions(roi = org.lesionscan.Roi(0.25f, 0.1f, 0.5f, 0.7f))
        fixture("mobilenet_tiny_int8").use { classifier ->
            val zeroCopy = classifier.classifyFrame(201, 153, PixelFormat.I420, frame.directPlanes(), 270, options)
            val copied = classifier.classifyFrame(frame.copied(PixelFormat.I420, Rotation.R270), options, null)
            assertEquals(answer(copied), answer(zeroCopy), "odd-sized frame with ROI")
        }
    },

    test("an RGBA frame in a direct buffer equals the copied frame") {
        val (width, height, rowStride) = Triple(96, 80, 96 * 4 + 16)
        val bytes = ByteArray(rowStride * (height - 1) + width * 4) { (it * 7 + it / 411).toByte() }
        val buffer = ByteBuffer.allocateDirect(bytes.size).put(bytes).also { it.rewind() }
        fixture("mobilenet_tiny_int8").use { classifier ->
            val zeroCopy = classifier.classifyFrame(width, height, PixelFormat.RGBA8888, listOf(DirectPlane(buffer, rowStride, 4)))
            val copied = classifier.classifyFrame(
                CameraFrame(width.toUInt(), height.toUInt(), PixelFormat.RGBA8888, listOf(FramePlane(bytes, rowStride.toUInt(), 4u)), Rotation.R0),
            )
            assertEquals(answer(copied), answer(zeroCopy), "RGBA zero-copy against copied")
        }
    },

    test("the plane starts at the buffer's first byte whatever its position") {
        val frame = CameraYuv(width = 64, height = 48, rowStride = 64)
        fixture("mobilenet_tiny_int8").use { classifier ->
            val before = answer(classifier.classifyFrame(64, 48, PixelFormat.I420, frame.directPlanes()))
            frame.y.position(100)
            val after = answer(classifier.classifyFrame(64, 48, PixelFormat.I420, frame.directPlanes()))
            assertEquals(before, after, "position ignored")
            assertEquals(100, frame.y.position(), "the buffer's position is left alone")
        }
    },

    test("heap buffers raise InvalidFrame") {
        val frame = CameraYuv(width = 64, height = 48, rowStride = 64)
        fixture("mobilenet_tiny_int8").use { classifier ->
            val heapU = ByteBuffer.wrap(bytesOf(frame.u))
            val planes = listOf(frame.directPlanes()[0], DirectPlane(heapU, 64, 2), frame.directPlanes()[2])
            val e = assertThrows<LesionScanException.InvalidFrame>("heap U plane") {
                classifier.classifyFrame(64, 48, PixelFormat.I420, planes)
            }
            assertTrue(e.reason.contains("plane 1") && e.reason.contains("direct"), e.reason)
        }
    },

    test("planes too short for their strides raise InvalidFrame and nothing is read past them") {
        val frame = CameraYuv(width = 64, height = 48, rowStride = 80)
        fixture("mobilenet_tiny_int8").use { classifier ->
            val good = answer(classifier.classifyFrame(64, 48, PixelFormat.I420, frame.directPlanes()))
            val shortY = frame.y.duplicate().also { it.limit(it.capacity() - 1) }.slice()
            val cases = mapOf(
                "Y plane one byte short" to Pair(64, listOf(DirectPlane(shortY, 80, 1)) + frame.directPlanes().drop(1)),
                "row stride claiming more rows than the buffer holds" to Pair(64, listOf(DirectPlane(frame.y, 4096, 1)) + frame.directPlanes().drop(1)),
                "chroma pixel stride too wide for the row" to Pair(64, listOf(frame.directPlanes()[0], DirectPlane(frame.u, 80, 3), frame.directPlanes()[2])),
                "a width the rows cannot hold" to Pair(96, frame.directPlanes()),
                "a missing plane" to Pair(64, frame.directPlanes().take(2)),
                "a negative stride" to Pair(64, listOf(DirectPlane(frame.y, -80, 1)) + frame.directPlanes().drop(1)),
            )
            for ((what, case) in cases) {
                val (width, planes) = case
                assertThrows<LesionScanException.InvalidFrame>(what) {
                    classifier.classifyFrame(width, 48, PixelFormat.I420, planes)
                }
            }
            assertThrows<LesionScanException.InvalidFrame>("zero height") {
                classifier.classifyFrame(64, 0, PixelFormat.I420, frame.directPlanes())
            }
            assertThrows<LesionScanException.InvalidArgument>("rotation of 45 degrees") {
                classifier.classifyFrame(64, 48, PixelFormat.I420, frame.directPlanes(), rotationDegrees = 45)
            }
            assertEquals(good, answer(classifier.classifyFrame(64, 48, PixelFormat.I420, frame.directPlanes())), "classifier still works")
        }
    },
)
