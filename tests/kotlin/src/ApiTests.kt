// The rest of the exported surface, entry by entry: image options, the free functions,
// the raw-address entry itself, every exception type, and what happens when something
// unexpected goes wrong inside the library (a typed exception, never a crash).
package org.lesionscan.tests

import com.sun.jna.Native
import java.io.File
import java.nio.ByteBuffer
import org.lesionscan.DecodeMode
import org.lesionscan.DirectBuffers
import org.lesionscan.ImageOptions
import org.lesionscan.LesionScanException
import org.lesionscan.PixelFormat
import org.lesionscan.QualityIssue
import org.lesionscan.RawFrame
import org.lesionscan.RawPlane
import org.lesionscan.Roi
import org.lesionscan.Rotation
import org.lesionscan.RustBuffer
import org.lesionscan.UniffiLib
import org.lesionscan.UniffiRustCallStatus
import org.lesionscan.libraryVersion
import org.lesionscan.qualityIssueCode
import org.lesionscan.rotationFromDegrees

/** The variant's name. Exhaustive: a variant added in Rust stops this file compiling until it is listed. */
fun variantName(e: LesionScanException): String = when (e) {
    is LesionScanException.InvalidModel -> "InvalidModel"
    is LesionScanException.InvalidCard -> "InvalidCard"
    is LesionScanException.InvalidImage -> "InvalidImage"
    is LesionScanException.InvalidFrame -> "InvalidFrame"
    is LesionScanException.InvalidArgument -> "InvalidArgument"
    is LesionScanException.Unsupported -> "Unsupported"
    is LesionScanException.Engine -> "Engine"
    is LesionScanException.Io -> "Io"
    is LesionScanException.Closed -> "Closed"
}

/** The reason, through each class's own `reason` property. */
fun reasonOf(e: LesionScanException): String = when (e) {
    is LesionScanException.InvalidModel -> e.reason
    is LesionScanException.InvalidCard -> e.reason
    is LesionScanException.InvalidImage -> e.reason
    is LesionScanException.InvalidFrame -> e.reason
    is LesionScanException.InvalidArgument -> e.reason
    is LesionScanException.Unsupported -> e.reason
    is LesionScanException.Engine -> e.reason
    is LesionScanException.Io -> e.reason
    is LesionScanException.Closed -> e.reason
}

/** A frame of one grey RGBA plane, `width` x `height`, at a made-up or real address. */
fun rawRgba(address: ULong, length: ULong, width: UInt = 8u, height: UInt = 8u) = RawFrame(
    width, height, PixelFormat.RGBA8888,
    listOf(RawPlane(address = address, length = length, rowStride = 4u * width, pixelStride = 4u)),
    Rotation.R0,
)

val apiTests = listOf(
    test("region, rotation and exact decoding give the Rust API's result") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val bytes = photo.readBytes()
            val options = ImageOptions(
                roi = Roi(x = 0.2f, y = 0.1f, width = 0.6f, height = 0.7f),
                rotation = Rotation.R90,
                decode = DecodeMode.EXACT,
            )
            val result = classifier.classifyImage(bytes, options, null)
            assertSameAsRust(reference("tiny_int8_photo_options"), result)
            assertTrue(answer(result) != answer(classifier.classifyImage(bytes)), "the options must change the answer")
        }
    },

    test("a region outside the picture raises InvalidArgument and the classifier keeps working") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val bytes = photo.readBytes()
            val bad = listOf(
                Roi(x = 0.8f, y = 0f, width = 0.5f, height = 1f),
                Roi(x = 0f, y = 0f, width = 0f, height = 1f),
                Roi(x = Float.NaN, y = 0f, width = 0.5f, height = 0.5f),
            )
            for (roi in bad) {
                assertThrows<LesionScanException.InvalidArgument>("roi $roi") {
                    classifier.classifyImage(bytes, ImageOptions(roi = roi), null)
                }
            }
            assertSameAsRust(reference("tiny_int8_photo"), classifier.classifyImage(bytes))
        }
    },

    test("rotationFromDegrees takes any multiple of 90 and refuses the rest with InvalidArgument") {
        val expected = mapOf(
            0 to Rotation.R0, 90 to Rotation.R90, 180 to Rotation.R180, 270 to Rotation.R270,
            360 to Rotation.R0, -90 to Rotation.R270, 450 to Rotation.R90,
        )
        for ((degrees, rotation) in expected) assertEquals(rotation, rotationFromDegrees(degrees), "$degrees degrees")
        for (degrees in listOf(45, 1, -1, Int.MAX_VALUE)) {
            assertThrows<LesionScanException.InvalidArgument>("$degrees degrees") { rotationFromDegrees(degrees) }
        }
    },

    test("libraryVersion is the FFI crate's version") {
        val manifest = File(root, "uniffi/Cargo.toml").readLines()
        val version = manifest.first { it.startsWith("version = ") }.substringAfter('"').substringBefore('"')
        assertEquals(version, libraryVersion(), "library version")
    },

    test("classifyRawFrame reads a direct buffer in place and refuses null or short planes with InvalidFrame") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val pixels = ByteBuffer.allocateDirect(8 * 8 * 4)
            for (i in 0 until pixels.capacity()) pixels.put(i, if (i % 4 == 3) -1 else (40 + i % 97).toByte())
            val address = Native.getDirectBufferPointer(pixels).let { com.sun.jna.Pointer.nativeValue(it) }.toULong()
            val length = pixels.capacity().toULong()
            val copied = org.lesionscan.CameraFrame(
                8u, 8u, PixelFormat.RGBA8888,
                listOf(org.lesionscan.FramePlane(bytesOf(pixels), 32u, 4u)), Rotation.R0,
            )
            val expected = answer(classifier.classifyFrame(copied, ImageOptions(), null))
            assertEquals(expected, answer(classifier.classifyRawFrame(rawRgba(address, length), ImageOptions(), null)), "raw frame")

            val nulls = assertThrows<LesionScanException.InvalidFrame>("null address") {
                classifier.classifyRawFrame(rawRgba(0u, length), ImageOptions(), null)
            }
            assertTrue(nulls.reason.contains("null address"), nulls.reason)
            assertThrows<LesionScanException.InvalidFrame>("a plane one byte short") {
                classifier.classifyRawFrame(rawRgba(address, length - 1u), ImageOptions(), null)
            }
            assertThrows<LesionScanException.InvalidFrame>("a range that wraps around") {
                classifier.classifyRawFrame(rawRgba(ULong.MAX_VALUE - 8u, length), ImageOptions(), null)
            }
            assertEquals(expected, answer(classifier.classifyRawFrame(rawRgba(address, length), ImageOptions(), null)), "after the errors")
            DirectBuffers.keepReachable(arrayOf(pixels))
        }
    },

    test("the JNI helper gives a direct buffer's own address and capacity, and 0/-1 for heap buffers and null") {
        val direct = ByteBuffer.allocateDirect(100)
        val offset = direct.duplicate().also { it.position(10) }.slice() // a view 10 bytes in
        val heap = ByteBuffer.allocate(100)
        @Suppress("UNCHECKED_CAST")
        val buffers = arrayOf(direct, offset, heap, null) as Array<ByteBuffer>
        val located = DirectBuffers.addresses(buffers)
        assertEquals(8, located.size, "two longs per buffer")
        val jna = com.sun.jna.Pointer.nativeValue(Native.getDirectBufferPointer(direct))
        assertEquals(jna, located[0], "address as JNA reads it")
        assertEquals(100L, located[1], "capacity")
        assertEquals(jna + 10, located[2], "a slice starts where it lies")
        assertEquals(90L, located[3], "a slice's capacity")
        assertEquals(listOf(0L, -1L, 0L, -1L), located.toList().subList(4, 8), "heap buffer and null")
        DirectBuffers.keepReachable(arrayOf(direct, offset))
    },

    test("every LesionScanException type carries its reason") {
        val all = listOf(
            LesionScanException.InvalidModel("a"), LesionScanException.InvalidCard("b"),
            LesionScanException.InvalidImage("c"), LesionScanException.InvalidFrame("d"),
            LesionScanException.InvalidArgument("e"), LesionScanException.Unsupported("f"),
            LesionScanException.Engine("g"), LesionScanException.Io("h"), LesionScanException.Closed("i"),
        )
        assertEquals(
            listOf("InvalidModel", "InvalidCard", "InvalidImage", "InvalidFrame", "InvalidArgument", "Unsupported", "Engine", "Io", "Closed"),
            all.map(::variantName),
            "the variants, in the Rust enum's order",
        )
        assertEquals(listOf("a", "b", "c", "d", "e", "f", "g", "h", "i"), all.map(::reasonOf), "reasons")
        all.forEach { assertTrue(it is Exception && it.message!!.contains(reasonOf(it)), "message of ${variantName(it)}") }
    },

    test("something unexpected inside the library comes back as an error status (InternalException), not a crash, and the library keeps working") {
        // What a corrupted argument looks like to the library: an enum value it does not
        // have. Sent through the generated bindings' own native interface, as they would.
        val bogus = RustBuffer.alloc(4u)
        bogus.asByteBuffer()!!.putInt(0, 9999)
        val status = UniffiRustCallStatus()
        UniffiLib.uniffi_lesionscan_ffi_fn_func_quality_issue_code(bogus, status)
        assertTrue(status.isPanic(), "the call reports an unexpected error (code ${status.code})")
        val message = org.lesionscan.FfiConverterString.lift(status.error_buf)
        assertTrue(message.contains("QualityIssue"), "the message names what failed: $message")
        // The process is alive and the library answers as before.
        assertEquals("too_dark", qualityIssueCode(QualityIssue.TOO_DARK), "a later call")
        fixture("mobilenet_tiny_int8").use { assertSameAsRust(reference("tiny_int8_photo"), it.classifyImage(photo.readBytes())) }
    },
)
