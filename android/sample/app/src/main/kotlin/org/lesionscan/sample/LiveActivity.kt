// The live screen: CameraX preview and analysis, each frame pushed to a LiveSession
// without copying, the session's answer shown once it is stable.
package org.lesionscan.sample

import android.Manifest
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Bundle
import android.util.Log
import android.view.View
import android.widget.Button
import android.widget.LinearLayout
import android.widget.ProgressBar
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.activity.result.contract.ActivityResultContracts
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.AspectRatioStrategy
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import org.lesionscan.Classifier
import org.lesionscan.ImageOptions
import org.lesionscan.LesionScanException
import org.lesionscan.LiveListener
import org.lesionscan.LiveOptions
import org.lesionscan.LiveResult
import org.lesionscan.LiveSession
import org.lesionscan.disclaimer
import org.lesionscan.pushFrame

class LiveActivity : ComponentActivity() {
    private lateinit var preview: PreviewView
    private lateinit var guide: GuideView
    private lateinit var hint: TextView
    private lateinit var held: ProgressBar
    private lateinit var classes: LinearLayout
    private lateinit var accelerator: TextView

    /** CameraX calls the analyzer here, one frame at a time. */
    private val analysisExecutor: ExecutorService = Executors.newSingleThreadExecutor()
    private var analysis: ImageAnalysis? = null
    /** Set on the main thread, read by the analyzer thread. */
    @Volatile private var session: LiveSession? = null
    private val options = LiveOptions(image = ImageOptions(roi = Guide.ROI))

    private val askForCamera = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) startCamera() else hint.setText(R.string.no_camera_permission)
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_live)
        preview = findViewById(R.id.preview)
        guide = findViewById(R.id.guide)
        hint = findViewById(R.id.hint)
        held = findViewById(R.id.held)
        classes = findViewById(R.id.classes)
        accelerator = findViewById(R.id.accelerator)
        findViewById<TextView>(R.id.disclaimer).text = disclaimer()
        findViewById<Button>(R.id.open_photo).setOnClickListener {
            startActivity(Intent(this, PhotoActivity::class.java))
        }
        // The whole frame is shown, so that the guide marks exactly what the model sees.
        preview.scaleType = PreviewView.ScaleType.FIT_CENTER

        Models.withClassifier(this) { loaded ->
            if (isDestroyed) return@withClassifier
            loaded.onSuccess { classifier ->
                session = LiveSession(classifier, options, Listener())
                if (checkSelfPermission(Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
                    startCamera()
                } else {
                    askForCamera.launch(Manifest.permission.CAMERA)
                }
            }.onFailure { error ->
                hint.text = getString(R.string.failed, error.message)
            }
        }
    }

    private fun startCamera() {
        val providerFuture = ProcessCameraProvider.getInstance(this)
        providerFuture.addListener({
            if (isDestroyed) return@addListener
            val provider = providerFuture.get()
            // Preview and analysis both 4:3, so that the guide and the region of interest agree.
            val fourByThree = ResolutionSelector.Builder()
                .setAspectRatioStrategy(AspectRatioStrategy.RATIO_4_3_FALLBACK_AUTO_STRATEGY)
                .build()
            val previewUseCase = Preview.Builder().setResolutionSelector(fourByThree).build()
            previewUseCase.setSurfaceProvider(preview.surfaceProvider)
            val analysisUseCase = ImageAnalysis.Builder()
                .setResolutionSelector(fourByThree)
                // While the model is busy the camera keeps only the newest frame, and the
                // session itself keeps only the newest one it was given.
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
                .build()
            analysisUseCase.setAnalyzer(analysisExecutor) { image ->
                image.use {
                    try {
                        // Converts the frame in place and returns at once; the image is
                        // closed right after, so the camera never waits for the model.
                        session?.pushFrame(it)
                    } catch (e: LesionScanException.Closed) {
                        // The screen is closing.
                    } catch (e: LesionScanException) {
                        Log.w(TAG, "frame refused: ${e.message}")
                    }
                }
            }
            analysis = analysisUseCase
            provider.unbindAll()
            provider.bindToLifecycle(this, CameraSelector.DEFAULT_BACK_CAMERA, previewUseCase, analysisUseCase)
        }, mainThread)
    }

    /** Called on the session's worker thread: hand over to the UI thread and return. */
    private inner class Listener : LiveListener {
        override fun onResult(result: LiveResult) {
            mainThread.execute { show(result) }
        }

        override fun onError(error: LesionScanException, timestampMs: ULong) {
            Log.w(TAG, "frame at $timestampMs ms not classified: ${error.message}")
        }
    }

    private fun show(result: LiveResult) {
        if (isDestroyed) return
        // The core's few words ("more light", "move closer", "centre the mole", "hold
        // steady"), or none once the answer is stable. (An app in another language shows its
        // own words for result.hintKind.)
        hint.text = result.hint ?: ""
        hint.visibility = if (result.hint == null) View.INVISIBLE else View.VISIBLE
        guide.stable = result.stable
        held.progress = (1000 * result.heldMs.toLong() / options.stableAfterMs.toLong()).toInt().coerceAtMost(1000)
        if (result.stable) {
            showClasses(classes, result.smoothed.categories.take(3))
        } else {
            classes.removeAllViews()
        }
        val ran = result.smoothed.accelerator.name.lowercase()
        accelerator.text = getString(R.string.ran_on, ran, result.smoothed.engine)
    }

    override fun onDestroy() {
        analysis?.clearAnalyzer()
        val closing = session
        session = null
        // On the analysis thread, after any frame it is handing over: stop() accepts no
        // frame and starts no listener call after it, and waits for the model run in
        // progress (up to a few hundred ms, so not on the main thread); close() frees it.
        analysisExecutor.execute {
            closing?.stop()
            closing?.close()
        }
        analysisExecutor.shutdown()
        super.onDestroy()
    }

    private companion object {
        const val TAG = "LesionScanSample"
    }
}
