// The Kotlin surface promised in ../shared/DESIGN.md ("Kotlin and Swift surface"),
// written the way client code writes it. If a name changes, this file stops compiling.
package org.lesionscan.tests

import org.lesionscan.Accelerator
import org.lesionscan.BodySite
import org.lesionscan.CameraFrame
import org.lesionscan.Classification
import org.lesionscan.Classifier
import org.lesionscan.ClassifierOptions
import org.lesionscan.FramePlane
import org.lesionscan.ImageOptions
import org.lesionscan.LesionScanException
import org.lesionscan.PatientInfo
import org.lesionscan.PixelFormat
import org.lesionscan.Rotation
import org.lesionscan.Sex

val surfaceTests = listOf(
    test("the documented Kotlin surface compiles and runs") {
        val modelPath = model("mobilenet_tiny_int8").path
        val cardPath = card("mobilenet_tiny_int8").path
        val bytes = photo.readBytes()

        val options = ClassifierOptions()
            .copy(accelerator = Accelerator.CPU, threads = 2u, maxResults = 3u)
        val classifier = Classifier.fromFiles(modelPath, cardPath, options)
        val result: Classification = classifier.classifyImage(
            bytes, ImageOptions(), PatientInfo(age = 45u, sex = Sex.FEMALE, site = BodySite.BACK),
        )
        val code: String = result.categories[0].code
        val probability: Float = result.categories[0].probability
        val malignant: Float = result.malignantProbability
        val accelerator: Accelerator = result.accelerator
        val modelId: String = result.modelId
        val usable: Boolean = result.quality.usable
        val inferenceUs: ULong = result.timings.inferenceUs
        assertEquals(3, result.categories.size, "maxResults = 3u")
        assertEquals(Accelerator.CPU, accelerator, "accelerator that ran")
        assertTrue(code.isNotEmpty() && probability in 0f..1f && malignant in 0f..1f, "values in range")
        assertTrue(modelId.isNotEmpty() && inferenceUs > 0uL, "model id and timings")
        assertTrue(usable || result.quality.issues.isNotEmpty(), "an unusable picture says why")

        val width = 64u
        val height = 48u
        val yBytes = ByteArray(64 * 48) { 120 }
        val vuBytes = ByteArray(64 * 24) { (-128).toByte() }
        val frame = CameraFrame(
            width, height, PixelFormat.NV21,
            listOf(FramePlane(yBytes, 64u, 1u), FramePlane(vuBytes, 64u, 2u)),
            Rotation.R90,
        )
        classifier.classifyFrame(frame, ImageOptions(), null)
        classifier.modelInfo()
        val garbage = ByteArray(10)
        var message: String? = null
        try {
            classifier.classifyImage(garbage, ImageOptions(), null)
        } catch (e: LesionScanException.InvalidImage) {
            message = e.message
        }
        assertTrue(message != null, "InvalidImage was thrown")
        classifier.close()

        val model = model("mobilenet_tiny_int8").readBytes()
        val cardJson = card("mobilenet_tiny_int8").readText()
        Classifier.fromBytes(model, cardJson, options).use { it.classifyImage(bytes) }
    },

    test("every record has defaults for all its fields") {
        val options = ClassifierOptions()
        assertEquals(null, options.accelerator, "accelerator: null means AUTO")
        assertEquals(null, options.threads, "threads: null picks one per core")
        assertEquals(null, options.maxResults, "maxResults")
        assertEquals(emptyList<String>(), options.allow, "allow")
        val image = ImageOptions()
        assertEquals(null, image.roi, "roi")
        assertEquals(null, image.rotation, "rotation")
        assertEquals(PatientInfo(null, null, null), PatientInfo(), "patient")
    },
)
