// The foreign log sink: messages arrive at the chosen level, stop when removed, never
// carry paths or patient data, and a sink that throws cannot break a classification.
package org.lesionscan.tests

import java.io.File
import java.nio.file.Files
import java.util.Collections
import org.lesionscan.BodySite
import org.lesionscan.Classifier
import org.lesionscan.ImageOptions
import org.lesionscan.LesionScanException
import org.lesionscan.LogLevel
import org.lesionscan.LogSink
import org.lesionscan.PatientInfo
import org.lesionscan.Sex
import org.lesionscan.removeLogSink
import org.lesionscan.setLogSink

class Collecting : LogSink {
    val messages: MutableList<Triple<LogLevel, String, String>> = Collections.synchronizedList(mutableListOf())

    override fun log(level: LogLevel, target: String, message: String) {
        messages.add(Triple(level, target, message))
    }

    fun snapshot() = synchronized(messages) { messages.toList() }
}

/** Runs [block] with [sink] installed at [level], and removes it afterwards. */
fun <T> withSink(sink: LogSink, level: LogLevel, block: () -> T): T {
    setLogSink(sink, level)
    try {
        return block()
    } finally {
        removeLogSink()
    }
}

val loggingTests = listOf(
    test("the log sink hears loads, classifications and failures, without paths or patient data") {
        val secret = Files.createTempDirectory("ZZsecretZZ").toFile()
        try {
            for (file in listOf(model("two_input_float"), card("two_input_float"))) file.copyTo(File(secret, file.name))
            val sink = Collecting()
            withSink(sink, LogLevel.DEBUG) {
                Classifier.fromFiles(File(secret, "two_input_float.tflite").path, File(secret, "two_input_float.json").path, cpuOptions()).use { classifier ->
                    val patient = PatientInfo(age = 87u, sex = Sex.MALE, site = BodySite.LOWER_EXTREMITY)
                    classifier.classifyImage(photo.readBytes(), ImageOptions(), patient)
                    assertThrows<LesionScanException.InvalidImage>("corrupt picture") { classifier.classifyImage(ByteArray(7)) }
                    assertThrows<LesionScanException.InvalidArgument>("age 130") {
                        classifier.classifyImage(photo.readBytes(), ImageOptions(), PatientInfo(age = 130u))
                    }
                }
                assertThrows<LesionScanException.Io>("missing file") {
                    Classifier.fromFiles(File(secret, "absent.tflite").path, File(secret, "absent.json").path, cpuOptions())
                }
            }
            val messages = sink.snapshot()
            val levels = messages.map { it.first }.toSet()
            assertTrue(messages.any { it.first == LogLevel.INFO && it.third.contains("loaded model two_input_float") }, "load logged: $messages")
            assertTrue(messages.any { it.first == LogLevel.DEBUG && it.third.startsWith("classify_image:") }, "classification logged: $messages")
            assertTrue(messages.any { it.first == LogLevel.WARN && it.third == "classify_image failed: InvalidImage" }, "failure logged by kind: $messages")
            assertTrue(LogLevel.TRACE !in levels, "nothing below the sink's level")
            assertTrue(messages.all { it.second.startsWith("lesionscan") }, "only LesionScan's own targets")
            for ((_, _, text) in messages) {
                for (forbidden in listOf("ZZsecretZZ", secret.path, "extremity", "years", "male")) {
                    assertTrue(!text.contains(forbidden, ignoreCase = true), "log message carries '$forbidden': $text")
                }
            }
        } finally {
            secret.deleteRecursively()
        }
    },

    test("the sink's level filters messages and removing it stops them") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val sink = Collecting()
            withSink(sink, LogLevel.WARN) {
                classifier.classifyImage(photo.readBytes())
                assertThrows<LesionScanException.InvalidImage>("corrupt picture") { classifier.classifyImage(ByteArray(3)) }
            }
            val atWarn = sink.snapshot()
            assertEquals(listOf(LogLevel.WARN), atWarn.map { it.first }, "only the failure at WARN")
            assertThrows<LesionScanException.InvalidImage>("corrupt picture after removal") { classifier.classifyImage(ByteArray(3)) }
            assertEquals(atWarn, sink.snapshot(), "no message after removeLogSink")
        }
    },

    test("a sink that throws does not break a classification") {
        val throwing = object : LogSink {
            override fun log(level: LogLevel, target: String, message: String) = throw IllegalStateException("sink failure")
        }
        fixture("mobilenet_tiny_int8").use { classifier ->
            val expected = answer(classifier.classifyImage(photo.readBytes()))
            val got = withSink(throwing, LogLevel.TRACE) { answer(classifier.classifyImage(photo.readBytes())) }
            assertEquals(expected, got, "answer with a throwing sink")
        }
    },
)
