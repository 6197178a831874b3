// Stub for the compile check only (README.md): signatures from the API reference.
package android.graphics;

public class RectF {
    public float left, top, right, bottom;
    public RectF(float left, float top, float right, float bottom) { throw new UnsupportedOperationException("stub"); }
}
