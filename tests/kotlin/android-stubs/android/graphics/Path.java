// Stub for the compile check only (README.md): signatures from the API reference.
package android.graphics;

public class Path {
    public enum Direction { CW, CCW }
    public enum FillType { WINDING, EVEN_ODD, INVERSE_WINDING, INVERSE_EVEN_ODD }
    public Path() { throw new UnsupportedOperationException("stub"); }
    public void setFillType(FillType ft) {}
    public FillType getFillType() { throw new UnsupportedOperationException("stub"); }
    public void addRect(RectF rect, Direction dir) {}
    public void addRect(float left, float top, float right, float bottom, Direction dir) {}
}
