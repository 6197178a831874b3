// Loading a model and its card from the app's assets.
//
// Hand-written (not generated); Android only.
package org.lesionscan

import android.content.Context

/**
 * Loads a classifier from a `.tflite` model and its JSON card in the app's assets
 * (`src/main/assets/`), for example
 * `Classifier.fromAssets(context, "ham10000.tflite", "ham10000.json")`.
 *
 * The model is read into memory once and handed to [Classifier.fromBytes]. Takes as long
 * as loading the model (up to a second for the default model): call it off the UI thread,
 * once, and share the classifier.
 *
 * @throws java.io.IOException when an asset is missing.
 * @throws LesionScanException as [Classifier.fromBytes].
 */
fun Classifier.Companion.fromAssets(
    context: Context,
    modelAsset: String,
    cardAsset: String,
    options: ClassifierOptions = ClassifierOptions(),
): Classifier {
    val assets = context.assets
    val model = assets.open(modelAsset).use { it.readBytes() }
    val card = assets.open(cardAsset).use { it.readBytes().toString(Charsets.UTF_8) }
    return Classifier.fromBytes(model, card, options)
}
