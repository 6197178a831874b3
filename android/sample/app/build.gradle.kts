// The sample app: a live camera screen (CameraX -> LiveSession) and a photo screen
// (gallery picture -> classifyImage). All classification logic is in the library; this
// module only shows it. AGP 9 compiles Kotlin itself (built-in Kotlin).
plugins {
    id("com.android.application")
}

android {
    namespace = "org.lesionscan.sample"
    compileSdk = 36

    defaultConfig {
        applicationId = "org.lesionscan.sample"
        minSdk = 24
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
        // The ABIs the library is built for (LiteRT has no 32-bit Android builds).
        ndk { abiFilters += listOf("arm64-v8a", "x86_64") }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

// The default model, its card, licence and attribution, copied from ../../models into the
// app's assets at build time (not committed twice), as model.tflite and model.json.
abstract class CopyModelTask : DefaultTask() {
    @get:InputDirectory
    abstract val modelsDirectory: DirectoryProperty

    @get:OutputDirectory
    abstract val outputDirectory: DirectoryProperty

    @TaskAction
    fun copy() {
        val models = modelsDirectory.get().asFile
        val name = models.resolve("DEFAULT_MODEL").readText().trim()
        val out = outputDirectory.get().asFile
        out.deleteRecursively()
        out.mkdirs()
        models.resolve("$name.tflite").copyTo(out.resolve("model.tflite"))
        models.resolve("$name.json").copyTo(out.resolve("model.json"))
        models.resolve("ATTRIBUTION.md").copyTo(out.resolve("model-ATTRIBUTION.md"))
        models.resolve("LICENSE-sklesion.txt").copyTo(out.resolve("model-LICENSE.txt"))
    }
}

val copyModel = tasks.register<CopyModelTask>("copyLesionScanModel") {
    modelsDirectory.set(rootProject.layout.projectDirectory.dir("../../models"))
}

androidComponents {
    onVariants { variant ->
        variant.sources.assets?.addGeneratedSourceDirectory(copyModel, CopyModelTask::outputDirectory)
    }
}

dependencies {
    implementation(project(":lesionscan"))
    implementation("androidx.activity:activity:1.10.1")
    implementation("androidx.camera:camera-camera2:1.5.3")
    implementation("androidx.camera:camera-lifecycle:1.5.3")
    implementation("androidx.camera:camera-view:1.5.3")
}
