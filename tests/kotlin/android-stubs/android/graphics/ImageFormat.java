// Stub for the compile check only (README.md): signatures from the API reference.
package android.graphics;

public class ImageFormat {
    public static final int YUV_420_888 = 0x23;
}
