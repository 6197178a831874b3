// The LesionScan Android library as a stand-alone Gradle build (`gradle assembleRelease`
// here), or included in an app's build: see README.md.
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
        google() // LiteRT (com.google.ai.edge.litert) and CameraX
        mavenCentral() // JNA
    }
}

rootProject.name = "lesionscan"
