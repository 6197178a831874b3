// The Classifier through the generated bindings: same answers as the Rust API, typed
// exceptions, a classifier that survives bad input, threads, and close().
package org.lesionscan.tests

import java.io.File
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import org.lesionscan.BodySite
import org.lesionscan.Classifier
import org.lesionscan.ImageOptions
import org.lesionscan.LesionScanException
import org.lesionscan.PatientInfo
import org.lesionscan.Precision
import org.lesionscan.QualityIssue
import org.lesionscan.Sex
import org.lesionscan.disclaimer
import org.lesionscan.qualityIssueAdvice
import org.lesionscan.qualityIssueCode

val classifierTests = listOf(
    test("a photo from bytes and from a file gives the Rust API's result") {
        val expected = reference("tiny_int8_photo")
        val bytes = photo.readBytes()
        fixture("mobilenet_tiny_int8").use { fromFiles ->
            assertSameAsRust(expected, fromFiles.classifyImage(bytes, ImageOptions(), null))
        }
        val fromBytes = Classifier.fromBytes(
            model("mobilenet_tiny_int8").readBytes(),
            card("mobilenet_tiny_int8").readText(),
            cpuOptions(),
        )
        fromBytes.use { assertSameAsRust(expected, it.classifyImage(bytes, ImageOptions(), null)) }
    },

    test("the default model gives the Rust API's result") {
        val stem = defaultModelStem()
        val classifier = Classifier.fromFiles(
            File(root, "models/$stem.tflite").path,
            File(root, "models/$stem.json").path,
            cpuOptions(),
        )
        classifier.use {
            val result = it.classifyImage(photo.readBytes())
            assertSameAsRust(reference("default_photo"), result)
            assertEquals(7, result.categories.size, "HAM10000 classes")
            assertEquals(it.modelInfo().modelId, result.modelId, "model id")
        }
    },

    test("patient metadata changes the two-input model's answer as in Rust") {
        fixture("two_input_float").use { classifier ->
            val bytes = photo.readBytes()
            val without = classifier.classifyImage(bytes, ImageOptions(), null)
            val patient = PatientInfo(age = 45u, sex = Sex.FEMALE, site = BodySite.BACK)
            val with = classifier.classifyImage(bytes, ImageOptions(), patient)
            assertSameAsRust(reference("two_input_photo"), without)
            assertSameAsRust(reference("two_input_photo_patient"), with)
            assertTrue(answer(without) != answer(with), "metadata must change the probabilities")
        }
    },

    test("a corrupt picture raises InvalidImage and the classifier keeps working") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val bytes = photo.readBytes()
            val good = answer(classifier.classifyImage(bytes))
            val corrupt = listOf(
                bytes.copyOf(bytes.size / 3),
                ByteArray(0),
                ByteArray(4096) { (it * 31 + 7).toByte() },
                bytes.copyOf().also { it.fill(0, 200, 4000) },
            )
            for ((i, picture) in corrupt.withIndex()) {
                val e = assertThrows<LesionScanException.InvalidImage>("corrupt picture $i") {
                    classifier.classifyImage(picture)
                }
                assertTrue(e.reason.isNotBlank(), "InvalidImage carries a reason")
                assertEquals(good, answer(classifier.classifyImage(bytes)), "answer after corrupt picture $i")
            }
        }
    },

    test("a missing file raises Io without naming the path") {
        val missing = File(data, "no-such-model-3f9c.tflite").path
        val e = assertThrows<LesionScanException.Io>("missing model") {
            Classifier.fromFiles(missing, card("mobilenet_tiny_int8").path, cpuOptions())
        }
        assertTrue(!e.reason.contains("3f9c"), "the reason must not carry the path: ${e.reason}")
    },

    test("corrupt models and cards raise InvalidModel and InvalidCard") {
        val modelBytes = model("mobilenet_tiny_int8").readBytes()
        val cardJson = card("mobilenet_tiny_int8").readText()
        assertThrows<LesionScanException.InvalidModel>("truncated model") {
            Classifier.fromBytes(modelBytes.copyOf(modelBytes.size / 2), cardJson, cpuOptions())
        }
        assertThrows<LesionScanException.InvalidCard>("card that is not JSON") {
            Classifier.fromBytes(modelBytes, "{ not json", cpuOptions())
        }
        val noId = cardJson.replace("\"id\": \"mobilenet_tiny_int8\"", "\"id\": \" \"")
        assertTrue(noId != cardJson, "the card names its id")
        assertThrows<LesionScanException.InvalidCard>("card with an empty id") {
            Classifier.fromBytes(modelBytes, noId, cpuOptions())
        }
        // The card's sha256 does not match these bytes.
        assertThrows<LesionScanException.InvalidModel>("model of another card") {
            Classifier.fromBytes(model("two_input_float").readBytes(), cardJson, cpuOptions())
        }
    },

    test("inconsistent options and impossible ages raise InvalidArgument") {
        assertThrows<LesionScanException.InvalidArgument>("allow and deny") {
            fixture("mobilenet_tiny_int8", cpuOptions().copy(allow = listOf("mel"), deny = listOf("nv")))
        }
        assertThrows<LesionScanException.InvalidArgument>("maxResults 0") {
            fixture("mobilenet_tiny_int8", cpuOptions().copy(maxResults = 0u))
        }
        fixture("two_input_float").use { classifier ->
            assertThrows<LesionScanException.InvalidArgument>("age 300") {
                classifier.classifyImage(photo.readBytes(), ImageOptions(), PatientInfo(age = 300u))
            }
        }
    },

    test("options filter and rank the categories") {
        val options = cpuOptions().copy(maxResults = 3u, deny = listOf("nv"))
        fixture("mobilenet_tiny_int8", options).use { classifier ->
            val result = classifier.classifyImage(photo.readBytes())
            assertEquals(3, result.categories.size, "maxResults")
            assertTrue(result.categories.none { it.code == "nv" }, "denied class absent")
            val probabilities = result.categories.map { it.probability }
            assertEquals(probabilities.sortedDescending(), probabilities, "descending order")
            // The malignant sum is taken before filtering, as in Rust.
            assertEquals(reference("tiny_int8_photo").malignant, result.malignantProbability, "malignant probability")
        }
    },

    test("four threads classify at once with identical answers") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val bytes = photo.readBytes()
            val expected = answer(classifier.classifyImage(bytes))
            val pool = Executors.newFixedThreadPool(4)
            try {
                val jobs = (0 until 4).map {
                    Callable { (0 until 5).map { answer(classifier.classifyImage(bytes)) } }
                }
                val answers = pool.invokeAll(jobs).flatMap { it.get() }
                assertEquals(20, answers.size, "answers")
                answers.forEach { assertEquals(expected, it, "answer from a worker thread") }
            } finally {
                pool.shutdown()
            }
        }
    },

    test("calls after close fail cleanly") {
        val classifier = fixture("mobilenet_tiny_int8")
        classifier.classifyImage(photo.readBytes())
        classifier.close()
        assertThrows<IllegalStateException>("classifyImage after close") {
            classifier.classifyImage(photo.readBytes())
        }
        assertThrows<IllegalStateException>("modelInfo after close") { classifier.modelInfo() }
        classifier.close() // a second close is harmless
    },

    test("modelInfo describes the card and the model's tensors") {
        fixture("mobilenet_tiny_int8").use { classifier ->
            val info = classifier.modelInfo()
            assertEquals(listOf("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"), info.classes.map { it.code }, "classes")
            assertEquals(128u, info.inputWidth, "input width")
            assertEquals(listOf(1uL, 128uL, 128uL, 3uL), info.inputs[0].shape, "input shape")
            assertEquals("int8", info.inputs[0].dtype, "input dtype")
            assertTrue(info.inputs[0].quantization != null, "int8 input is quantised")
            assertTrue(!info.usesPatientInfo, "tiny model takes no metadata")
            assertTrue(info.cardJson.contains("\"${info.modelId}\""), "card JSON carries the id")
            assertEquals("litert", info.engine, "engine")
        }
        fixture("two_input_float").use { assertTrue(it.modelInfo().usesPatientInfo, "two-input model takes metadata") }
    },

    test("quality issues carry the core's codes and advice") {
        assertEquals("too_dark", qualityIssueCode(QualityIssue.TOO_DARK), "code")
        assertEquals("off_centre", qualityIssueCode(QualityIssue.OFF_CENTRE), "code")
        assertTrue(qualityIssueAdvice(QualityIssue.BLURRY).isNotBlank(), "advice")
        fixture("mobilenet_tiny_int8").use { classifier ->
            val quality = classifier.classifyImage(photo.readBytes()).quality
            val issues: List<QualityIssue> = quality.issues
            assertEquals(quality.usable, issues.isEmpty(), "usable exactly when there is no issue")
        }
    },

    test("cacheDir keeps one weight cache file there, halfPrecision says what ran") {
        val dir = java.nio.file.Files.createTempDirectory("lesionscan-cache").toFile()
        try {
            val options = cpuOptions().copy(cacheDir = dir.path, halfPrecision = true)
            val expected = reference("tiny_int8_photo")
            for (load in 1..2) {
                fixture("mobilenet_tiny_int8", options).use { classifier ->
                    val info = classifier.modelInfo()
                    val cache = File(requireNotNull(info.weightCache) { "load $load: no weight cache" })
                    assertEquals(dir.canonicalPath, cache.parentFile.canonicalPath, "cache directory")
                    assertTrue(cache.length() > 0, "load $load: cache file written")
                    // XNNPACK cannot run int8 operators in half precision: float32, truthfully.
                    assertEquals(Precision.FLOAT32, info.precision, "precision of an int8 model")
                    val result = classifier.classifyImage(photo.readBytes())
                    assertEquals(info.precision, result.precision, "the result's precision")
                    assertSameAsRust(expected, result)
                }
            }
            assertEquals(1, dir.listFiles()!!.size, "files in the cache directory")
            fixture("mobilenet_tiny_int8").use {
                assertEquals(null, it.modelInfo().weightCache, "no cache without cacheDir")
            }
        } finally {
            dir.deleteRecursively()
        }
    },

    test("the disclaimer says it is not a medical device") {
        assertTrue(disclaimer().contains("not a medical device"), disclaimer())
    },
)
