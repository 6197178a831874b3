// Live camera mode through the bindings: a Kotlin LiveListener, the zero-copy push of
// direct ByteBuffers (Live.kt), stop/close and the typed errors. The smoothing and
// stability rules themselves are tested in Rust (tests/live.rs); these check that they
// reach Kotlin intact.
package org.lesionscan.tests

import java.nio.ByteBuffer
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import org.lesionscan.CameraFrame
import org.lesionscan.Classifier
import org.lesionscan.DirectPlane
import org.lesionscan.FramePlane
import org.lesionscan.ImageOptions
import org.lesionscan.LesionScanException
import org.lesionscan.LiveHint
import org.lesionscan.LiveListener
import org.lesionscan.LiveOptions
import org.lesionscan.LiveResult
import org.lesionscan.LiveSession
import org.lesionscan.PixelFormat
import org.lesionscan.QualityIssue
import org.lesionscan.Roi
import org.lesionscan.Rotation
import org.lesionscan.classifyFrame
import org.lesionscan.liveHintWords
import org.lesionscan.pushFrame

/** What a listener heard, in order. */
sealed class Heard {
    data class Result(val result: LiveResult, val thread: Thread) : Heard()
    data class Error(val error: LesionScanException, val timestampMs: ULong) : Heard()
}

/** A Kotlin listener that queues what it hears and can throw on request. */
class QueueListener(private val throwAt: Set<ULong> = emptySet()) : LiveListener {
    val heard = LinkedBlockingQueue<Heard>()

    override fun onResult(result: LiveResult) {
        heard.add(Heard.Result(result, Thread.currentThread()))
        if (result.timestampMs in throwAt) throw IllegalStateException("a listener that throws at ${result.timestampMs} ms")
    }

    override fun onError(error: LesionScanException, timestampMs: ULong) {
        heard.add(Heard.Error(error, timestampMs))
    }

    fun next(): LiveResult = when (val h = heard.poll(60, TimeUnit.SECONDS)) {
        is Heard.Result -> h.result
        is Heard.Error -> throw AssertionError("expected a result, got ${h.error} at ${h.timestampMs} ms")
        null -> throw AssertionError("no result within 60 s")
    }

    fun nextHeard(): Heard = heard.poll(60, TimeUnit.SECONDS) ?: throw AssertionError("nothing heard within 60 s")
}

/** The clearest mole of the test photo (1528x1360, centre 615,694), 240 photo pixels a side. */
val moleRoi = Roi(x = 495f / 1528f, y = 574f / 1360f, width = 240f / 1528f, height = 240f / 1360f)

/** The test photo as a half-size YUV_420_888 camera frame with padded rows. */
fun moleCamera() = CameraYuv(width = 764, height = 680, rowStride = 768)

/**
 * The clearest mole of the test photo, 240 pixels a side around its centre (615, 694), as
 * a planar YUV_420_888 frame (chroma pixel stride 1) in direct buffers. Centred, so it
 * shows the same mole whichever way it is turned.
 */
class MoleFrame {
    val side = 240
    val planes: List<DirectPlane>

    init {
        val picture = javax.imageio.ImageIO.read(photo).getSubimage(615 - side / 2, 694 - side / 2, side, side)
        val y = ByteBuffer.allocateDirect(side * side)
        val u = ByteBuffer.allocateDirect(side * side / 4)
        val v = ByteBuffer.allocateDirect(side * side / 4)
        fun clamp(value: Double) = Math.round(value).coerceIn(0, 255).toByte()
        for (row in 0 until side) {
            for (col in 0 until side) {
                val p = picture.getRGB(col, row)
                val (r, g, b) = Triple((p shr 16) and 0xff, (p shr 8) and 0xff, p and 0xff)
                y.put(row * side + col, clamp(0.299 * r + 0.587 * g + 0.114 * b))
                if (row % 2 == 0 && col % 2 == 0) {
                    val at = (row / 2) * (side / 2) + col / 2
                    u.put(at, clamp(128 - 0.168736 * r - 0.331264 * g + 0.5 * b))
                    v.put(at, clamp(128 + 0.5 * r - 0.418688 * g - 0.081312 * b))
                }
            }
        }
        planes = listOf(DirectPlane(y, side, 1), DirectPlane(u, side / 2, 1), DirectPlane(v, side / 2, 1))
    }

    /** Every class's probability (by index) when the classifier sees this frame turned by [degrees]. */
    fun probabilities(classifier: Classifier, degrees: Int): List<Float> {
        val result = classifier.classifyFrame(side, side, PixelFormat.I420, planes, degrees)
        assertTrue(result.quality.usable, "the mole turned $degrees degrees is usable: ${result.quality}")
        return result.categories.sortedBy { it.index }.map { it.probability }
    }
}

fun greyFrame(): CameraFrame {
    val (width, height) = Pair(64, 48)
    val bytes = ByteArray(width * height * 4) { if (it % 4 == 3) -1 else 120 }
    return CameraFrame(width.toUInt(), height.toUInt(), PixelFormat.RGBA8888, listOf(FramePlane(bytes, (width * 4).toUInt(), 4u)), Rotation.R0)
}

val liveTests = listOf(
    test("a Kotlin listener gets the classifier's own answer for a steady scene, stable after stableAfterMs") {
        val camera = moleCamera()
        fixture("mobilenet_tiny_int8", cpuOptions().copy(maxResults = 3u)).use { classifier ->
            val image = ImageOptions(roi = moleRoi)
            val expected = classifier.classifyFrame(camera.copied(PixelFormat.I420, Rotation.R0), image, null)
            assertTrue(expected.quality.usable, "the mole frame is usable: ${expected.quality}")
            val listener = QueueListener()
            LiveSession(classifier, LiveOptions(stableAfterMs = 100u, image = image), listener).use { session ->
                for ((n, at) in listOf(5_000L, 5_050L, 5_100L, 5_150L).withIndex()) {
                    // Zero copy: the camera's direct buffers, read in place.
                    session.pushFrame(764, 680, PixelFormat.I420, camera.directPlanes(), 0, at)
                    val result = listener.next()
                    assertEquals(at.toULong(), result.timestampMs, "timestamp")
                    assertEquals(answer(expected), answer(result.smoothed), "smoothed answer of frame $n")
                    assertEquals(expected.quality, result.quality, "quality of frame $n")
                    assertEquals((at - 5_000).toULong(), result.heldMs, "held time of frame $n")
                    assertEquals(at - 5_000 >= 100, result.stable, "stable at frame $n")
                    assertEquals(if (result.stable) null else "hold steady", result.hint, "hint at frame $n")
                    assertEquals(if (result.stable) null else LiveHint.HOLD_STEADY, result.hintKind, "hint kind at frame $n")
                    assertEquals((n + 1).toULong(), result.framesSeen, "frames seen")
                    assertEquals((n + 1).toULong(), result.framesClassified, "frames classified")
                    assertEquals(expected.accelerator, result.smoothed.accelerator, "accelerator")
                }
            }
        }
    },

    test("the smoothed answer is the average of the frames' answers weighted by their timestamps") {
        val mole = MoleFrame()
        fixture("mobilenet_tiny_int8").use { classifier ->
            // Upright and upside down: the same mole, two different answers from the model.
            val upright = mole.probabilities(classifier, 0)
            val turned = mole.probabilities(classifier, 180)
            assertTrue(upright.zip(turned).any { (a, b) -> Math.abs(a - b) > 0.01f }, "the two answers differ")
            val listener = QueueListener()
            val options = LiveOptions(halfLifeMs = 200u, stableAfterMs = 0u, qualityGraceMs = 10_000u)
            LiveSession(classifier, options, listener).use { session ->
                // (rotation, timestamp, weight left on the upright answer)
                val steps = listOf(Triple(0, 0L, 1.0), Triple(180, 200L, 0.5), Triple(180, 600L, 0.125))
                for ((degrees, at, left) in steps) {
                    session.pushFrame(mole.side, mole.side, PixelFormat.I420, mole.planes, degrees, at)
                    val smoothed = listener.next().smoothed.categories.sortedBy { it.index }.map { it.probability }
                    for (i in upright.indices) {
                        val expected = left * upright[i] + (1 - left) * turned[i]
                        assertTrue(Math.abs(smoothed[i] - expected) < 1e-5, "class $i at $at ms: ${smoothed[i]} != $expected")
                    }
                }
            }
        }
    },

    test("results arrive on the session's worker thread, not the caller's") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val listener = QueueListener()
            LiveSession(classifier, LiveOptions(), listener).use { session ->
                session.pushFrame(greyFrame(), 1uL)
                val heard = listener.nextHeard() as Heard.Result
                assertTrue(heard.thread !== Thread.currentThread(), "called on ${heard.thread}")
            }
        }
    },

    test("an unusable frame is counted and skipped, with 'centre the mole' as the hint") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val listener = QueueListener()
            LiveSession(classifier, LiveOptions(), listener).use { session ->
                session.pushFrame(greyFrame(), 1_000uL)
                val result = listener.next()
                assertEquals(listOf(QualityIssue.NO_LESION), result.quality.issues, "issues")
                assertEquals("centre the mole", result.hint, "hint")
                assertEquals(LiveHint.CENTRE_THE_MOLE, result.hintKind, "hint kind")
                assertEquals(result.hint, liveHintWords(LiveHint.CENTRE_THE_MOLE), "the kind's words")
                assertTrue(result.smoothed.categories.isEmpty(), "nothing judged")
                assertEquals(false, result.stable, "stable")
                assertEquals(Pair(1uL, 1uL), Pair(result.framesSeen, result.framesUnusable), "counters")
                assertEquals(0uL, result.framesClassified, "classified")
            }
        }
    },

    test("pushing after stop() throws LesionScanException.Closed; close() frees the session") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val listener = QueueListener()
            val session = LiveSession(classifier, LiveOptions(), listener)
            session.pushFrame(greyFrame(), 10uL)
            listener.next()
            session.stop()
            assertTrue(session.isClosed(), "isClosed after stop")
            val e = assertThrows<LesionScanException.Closed>("push after stop") { session.pushFrame(greyFrame(), 20uL) }
            assertEquals("the live session is closed", e.reason, "reason")
            val camera = CameraYuv(width = 64, height = 48, rowStride = 64)
            assertThrows<LesionScanException.Closed>("zero-copy push after stop") {
                session.pushFrame(64, 48, PixelFormat.I420, camera.directPlanes(), 0, 30)
            }
            session.stop() // again: nothing happens
            session.close()
            // A closed (freed) uniffi object refuses every call.
            assertThrows<IllegalStateException>("push after close") { session.pushFrame(greyFrame(), 40uL) }
            assertTrue(listener.heard.poll(200, TimeUnit.MILLISECONDS) == null, "nothing heard after stop")
            // The classifier outlives the session.
            assertEquals("mobilenet_tiny_int8", classifier.classifyFrame(greyFrame(), ImageOptions(), null).modelId, "classifier usable")
        }
    },

    test("a frame no later than the previous one throws InvalidArgument and is not counted") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val listener = QueueListener()
            LiveSession(classifier, LiveOptions(), listener).use { session ->
                session.pushFrame(greyFrame(), 100uL)
                listener.next()
                for (at in listOf(100uL, 99uL)) {
                    val e = assertThrows<LesionScanException.InvalidArgument>("timestamp $at") { session.pushFrame(greyFrame(), at) }
                    assertTrue(e.reason.contains("must increase"), e.reason)
                }
                val camera = CameraYuv(width = 64, height = 48, rowStride = 64)
                assertThrows<LesionScanException.InvalidArgument>("negative timestamp") {
                    session.pushFrame(64, 48, PixelFormat.I420, camera.directPlanes(), 0, -1)
                }
                session.pushFrame(greyFrame(), 101uL)
                assertEquals(2uL, listener.next().framesSeen, "frames seen")
            }
        }
    },

    test("bad frames and options throw typed exceptions before anything runs") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            assertThrows<LesionScanException.InvalidArgument>("switch margin 2") {
                LiveSession(classifier, LiveOptions(switchMargin = 2f), QueueListener())
            }
            val listener = QueueListener()
            LiveSession(classifier, LiveOptions(), listener).use { session ->
                val camera = CameraYuv(width = 64, height = 48, rowStride = 64)
                val heapU = ByteBuffer.wrap(bytesOf(camera.u))
                val planes = listOf(camera.directPlanes()[0], DirectPlane(heapU, 64, 2), camera.directPlanes()[2])
                assertThrows<LesionScanException.InvalidFrame>("heap buffer") {
                    session.pushFrame(64, 48, PixelFormat.I420, planes, 0, 1)
                }
                assertThrows<LesionScanException.InvalidFrame>("a missing plane") {
                    session.pushFrame(64, 48, PixelFormat.I420, camera.directPlanes().take(2), 0, 2)
                }
                assertTrue(listener.heard.poll(200, TimeUnit.MILLISECONDS) == null, "refused frames are not heard of")
            }
        }
    },

    test("a listener that throws does not stop the session") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val listener = QueueListener(throwAt = setOf(1uL))
            LiveSession(classifier, LiveOptions(), listener).use { session ->
                session.pushFrame(greyFrame(), 1uL)
                listener.next()
                session.pushFrame(greyFrame(), 2uL)
                assertEquals(2uL, listener.next().framesSeen, "the session went on")
            }
        }
    },

    test("close() while frames pour in returns with the worker stopped: nothing is heard after it") {
        val camera = moleCamera()
        fixture("mobilenet_tiny_int8").use { classifier ->
            val listener = QueueListener()
            val session = LiveSession(classifier, LiveOptions(image = ImageOptions(roi = moleRoi)), listener)
            for (at in 1L..200L) session.pushFrame(764, 680, PixelFormat.I420, camera.directPlanes(), 0, at)
            session.close()
            val heardBefore = listener.heard.size
            Thread.sleep(300)
            assertEquals(heardBefore, listener.heard.size, "results after close() returned")
            // 200 frames far faster than the model: most were dropped, none queued up.
            val results = listener.heard.filterIsInstance<Heard.Result>().map { it.result }
            val last = results.lastOrNull()
            if (last != null) {
                assertTrue(last.framesDropped > 0uL || results.size == 200, "frames dropped: ${last.framesDropped}")
                assertEquals(last.framesSeen, last.framesClassified + last.framesUnusable + last.framesFailed + last.framesDropped, "counters add up")
            }
        }
    },
)
