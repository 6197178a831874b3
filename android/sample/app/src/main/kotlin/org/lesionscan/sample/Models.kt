// The one classifier the app shares between its screens, loaded once from the assets.
package org.lesionscan.sample

import android.content.Context
import android.os.Handler
import android.os.Looper
import java.util.concurrent.Executor
import java.util.concurrent.Executors
import org.lesionscan.Accelerator
import org.lesionscan.Classifier
import org.lesionscan.ClassifierOptions
import org.lesionscan.fromAssets

/** Runs on the main (UI) thread. */
val mainThread = Executor { Handler(Looper.getMainLooper()).post(it) }

object Models {
    private val loader = Executors.newSingleThreadExecutor()
    private var classifier: Classifier? = null

    /**
     * Calls [ready] on the main thread with the shared classifier, loading it first (on a
     * background thread: compiling the model takes up to a second) if this is the first
     * call, or with the error if it cannot be loaded.
     */
    fun withClassifier(context: Context, ready: (Result<Classifier>) -> Unit) {
        val app = context.applicationContext
        loader.execute {
            val result = runCatching {
                synchronized(this) {
                    classifier ?: Classifier.fromAssets(
                        app,
                        "model.tflite",
                        "model.json",
                        // The GPU where the phone has one (the result says what ran);
                        // the top three classes.
                        ClassifierOptions(accelerator = Accelerator.GPU, maxResults = 3u),
                    ).also { classifier = it }
                }
            }
            mainThread.execute { ready(result) }
        }
    }
}
