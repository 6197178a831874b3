// Both Android plugins on one class path for the whole build (AGP must not be loaded once
// per module). The library module names the same version, which Gradle accepts.
plugins {
    id("com.android.application") version "9.0.0" apply false
    id("com.android.library") version "9.0.0" apply false
}
