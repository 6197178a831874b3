// Stub for the compile check only (README.md): signatures from the API reference.
package android.graphics;

public class Paint {
    public static final int ANTI_ALIAS_FLAG = 1;
    public enum Style { FILL, STROKE, FILL_AND_STROKE }
    public Paint() { throw new UnsupportedOperationException("stub"); }
    public Paint(int flags) { throw new UnsupportedOperationException("stub"); }
    public void setColor(int color) {}
    public int getColor() { throw new UnsupportedOperationException("stub"); }
    public void setStyle(Style style) {}
    public Style getStyle() { throw new UnsupportedOperationException("stub"); }
    public void setStrokeWidth(float width) {}
    public float getStrokeWidth() { throw new UnsupportedOperationException("stub"); }
}
