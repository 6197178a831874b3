// Stub for the compile check only (README.md): signatures from the API reference.
package android.graphics;

public class Canvas {
    public void drawPath(Path path, Paint paint) {}
    public void drawRect(RectF rect, Paint paint) {}
}
