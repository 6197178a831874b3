// The photo screen: a picture from the gallery, optional age, sex and body site, then
// classifyImage.
package org.lesionscan.sample

import android.net.Uri
import android.os.Bundle
import android.widget.ArrayAdapter
import android.widget.Button
import android.widget.EditText
import android.widget.ImageView
import android.widget.LinearLayout
import android.widget.Spinner
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import java.util.concurrent.Executors
import org.lesionscan.BodySite
import org.lesionscan.Classification
import org.lesionscan.ImageOptions
import org.lesionscan.LesionScanException
import org.lesionscan.PatientInfo
import org.lesionscan.Sex
import org.lesionscan.disclaimer
import org.lesionscan.qualityIssueAdvice

class PhotoActivity : ComponentActivity() {
    private lateinit var picture: ImageView
    private lateinit var age: EditText
    private lateinit var sex: Spinner
    private lateinit var site: Spinner
    private lateinit var classify: Button
    private lateinit var quality: TextView
    private lateinit var classes: LinearLayout
    private lateinit var malignant: TextView
    private lateinit var accelerator: TextView

    private val worker = Executors.newSingleThreadExecutor()
    private var photo: Uri? = null

    private val pickPhoto = registerForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) {
            photo = uri
            picture.setImageURI(uri)
            classify.isEnabled = true
        }
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_photo)
        picture = findViewById(R.id.picture)
        age = findViewById(R.id.age)
        sex = findViewById(R.id.sex)
        site = findViewById(R.id.site)
        classify = findViewById(R.id.classify)
        quality = findViewById(R.id.quality)
        classes = findViewById(R.id.classes)
        malignant = findViewById(R.id.malignant)
        accelerator = findViewById(R.id.accelerator)
        findViewById<TextView>(R.id.disclaimer).text = disclaimer()

        val unknown = getString(R.string.unknown)
        sex.adapter = ArrayAdapter(this, android.R.layout.simple_spinner_dropdown_item,
            listOf(unknown) + Sex.entries.map { it.name.lowercase() })
        site.adapter = ArrayAdapter(this, android.R.layout.simple_spinner_dropdown_item,
            listOf(unknown) + SITES.map { it.name.lowercase().replace('_', ' ') })

        findViewById<Button>(R.id.pick).setOnClickListener {
            pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
        }
        classify.setOnClickListener { classifyPhoto() }
    }

    /** What was entered, or null when nothing was: the model then goes without it. */
    private fun patient(): PatientInfo? {
        val patient = PatientInfo(
            age = age.text.toString().toUIntOrNull(),
            sex = Sex.entries.getOrNull(sex.selectedItemPosition - 1),
            site = SITES.getOrNull(site.selectedItemPosition - 1),
        )
        return if (patient == PatientInfo()) null else patient
    }

    private fun classifyPhoto() {
        val uri = photo ?: return
        val patient = patient()
        classify.isEnabled = false
        Models.withClassifier(this) { loaded ->
            loaded.onFailure { show(Result.failure(it)) }
            loaded.onSuccess { classifier ->
                worker.execute {
                    // Off the main thread: decoding and the model take tens to hundreds of ms.
                    val result = runCatching {
                        val bytes = contentResolver.openInputStream(uri)?.use { it.readBytes() }
                            ?: throw LesionScanException.Io("the photo could not be opened")
                        classifier.classifyImage(bytes, ImageOptions(), patient)
                    }
                    mainThread.execute { show(result) }
                }
            }
        }
    }

    private fun show(outcome: Result<Classification>) {
        if (isDestroyed) return
        classify.isEnabled = photo != null
        outcome.onFailure { error ->
            quality.text = getString(R.string.failed, error.message)
            classes.removeAllViews()
            malignant.text = ""
        }
        outcome.onSuccess { result ->
            // The picture is always classified; the quality report says whether to trust it.
            quality.text = if (result.quality.usable) {
                ""
            } else {
                getString(R.string.picture_not_usable, result.quality.issues.joinToString("; ") { qualityIssueAdvice(it) })
            }
            showClasses(classes, result.categories.take(3))
            malignant.text = getString(R.string.malignant_together, percent(result.malignantProbability))
            accelerator.text = getString(R.string.ran_on, result.accelerator.name.lowercase(), result.engine)
        }
    }

    override fun onDestroy() {
        worker.shutdown()
        super.onDestroy()
    }

    private companion object {
        /** The body sites to choose from ("unknown" is the spinner's first row). */
        val SITES = BodySite.entries.filter { it != BodySite.UNKNOWN }
    }
}
