// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.camera.view;

import android.content.Context;
import android.view.ViewGroup;
import androidx.camera.core.Preview;

public final class PreviewView extends ViewGroup {
    public enum ScaleType { FILL_START, FILL_CENTER, FILL_END, FIT_START, FIT_CENTER, FIT_END }
    public PreviewView(Context context) { super(context); }
    public void setScaleType(ScaleType scaleType) {}
    public ScaleType getScaleType() { throw new UnsupportedOperationException("stub"); }
    public Preview.SurfaceProvider getSurfaceProvider() { throw new UnsupportedOperationException("stub"); }
}
