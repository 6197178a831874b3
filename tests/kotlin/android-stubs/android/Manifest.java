// Stub for the compile check only (README.md): signatures from the API reference.
package android;

public final class Manifest {
    public static final class permission {
        public static final String CAMERA = "android.permission.CAMERA";
    }
}
