// Paths, fixtures and assertions shared by the Kotlin tests.
package org.lesionscan.tests

import java.io.File
import org.lesionscan.Accelerator
import org.lesionscan.Classification
import org.lesionscan.Classifier
import org.lesionscan.ClassifierOptions

/** The repository root (set by tests/kotlin/run). */
val root = File(requireNotNull(System.getProperty("lesionscan.root")) { "-Dlesionscan.root is not set" })

/** The folder of the core's reference results (written by tests/kotlin/run). */
val references = File(requireNotNull(System.getProperty("lesionscan.references")) { "-Dlesionscan.references is not set" })

val data = File(root, "tests/data")
val photo = File(data, "phone_skin_moles.jpg")

fun model(name: String) = File(data, "$name.tflite")
fun card(name: String) = File(data, "$name.json")

/** The default model shipped in models/, named by models/DEFAULT_MODEL. */
fun defaultModelStem(): String = File(root, "models/DEFAULT_MODEL").readText().trim()

/** CPU on one thread: the configuration the core's reference results were made with. */
fun cpuOptions() = ClassifierOptions(accelerator = Accelerator.CPU, threads = 1u)

fun fixture(name: String, options: ClassifierOptions = cpuOptions()): Classifier =
    Classifier.fromFiles(model(name).path, card(name).path, options)

/** A result of the core's Rust API, as printed by the `core_reference` example. */
data class Reference(val categories: List<Triple<UInt, String, Float>>, val malignant: Float)

fun reference(name: String): Reference {
    val lines = File(references, "$name.txt").readLines().filter { it.isNotBlank() }
    val categories = lines.filter { it.startsWith("category ") }.map { line ->
        val (_, index, code, bits) = line.split(" ")
        Triple(index.toUInt(), code, Float.fromBits(bits.toLong(16).toInt()))
    }
    val malignant = lines.single { it.startsWith("malignant ") }.split(" ")[1]
    return Reference(categories, Float.fromBits(malignant.toLong(16).toInt()))
}

/** Asserts that a result from the bindings equals the core's, bit for bit. */
fun assertSameAsRust(expected: Reference, actual: Classification) {
    val got = actual.categories.map { Triple(it.index, it.code, it.probability) }
    assertEquals(expected.categories, got, "categories (index, code, probability)")
    assertEquals(expected.malignant, actual.malignantProbability, "malignant probability")
}

/** What a result says, without the timings (which differ from run to run). */
fun answer(result: Classification) =
    Triple(result.categories.map { Triple(it.index, it.code, it.probability) }, result.malignantProbability, result.modelId)

fun <T> assertEquals(expected: T, actual: T, what: String) {
    if (expected != actual) throw AssertionError("$what: expected $expected, got $actual")
}

fun assertTrue(condition: Boolean, what: String) {
    if (!condition) throw AssertionError(what)
}

inline fun <reified E : Throwable> assertThrows(what: String, block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("$what: expected ${E::class.simpleName}, got $e", e)
    }
    throw AssertionError("$what: expected ${E::class.simpleName}, nothing was thrown")
}
