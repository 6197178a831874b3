// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.camera.core;

public final class CameraSelector {
    public static final CameraSelector DEFAULT_BACK_CAMERA = null;
}
