// Stub for the compile check only (README.md): signatures from the API reference.
package android.graphics;

public class Color {
    public static final int WHITE = 0xFFFFFFFF;
    public static int rgb(int red, int green, int blue) { throw new UnsupportedOperationException("stub"); }
    public static int argb(int alpha, int red, int green, int blue) { throw new UnsupportedOperationException("stub"); }
}
