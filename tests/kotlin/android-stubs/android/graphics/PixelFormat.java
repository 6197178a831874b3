// Stub for the compile check only (README.md): signatures from the API reference.
package android.graphics;

public class PixelFormat {
    public static final int RGBA_8888 = 1;
}
