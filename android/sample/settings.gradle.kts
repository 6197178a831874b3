// The LesionScan sample app, with the LesionScan library module (../, the folder above)
// built from source beside it. Build from this folder: `gradle :app:assembleDebug`
// (README.md has the steps, including the native library, which Gradle does not build).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google() // CameraX, AndroidX, LiteRT
        mavenCentral() // JNA
    }
}

rootProject.name = "lesionscan-sample"
include(":app")
// The library module as the bindings ship it; its own settings file is not used here.
include(":lesionscan")
project(":lesionscan").projectDir = file("..")
