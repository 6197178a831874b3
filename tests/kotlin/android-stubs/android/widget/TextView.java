// Stub for the compile check only (README.md): signatures from the API reference.
package android.widget;

import android.content.Context;
import android.view.View;

public class TextView extends View {
    public TextView(Context context) { super(context); }
    public CharSequence getText() { throw new UnsupportedOperationException("stub"); }
    public final void setText(CharSequence text) {}
    public final void setText(int resid) {}
    public void setTextSize(float size) {}
    public float getTextSize() { throw new UnsupportedOperationException("stub"); }
}
