// Stub for the compile check only (README.md): signatures from the API reference.
package android.widget;

import android.content.Context;
import android.util.AttributeSet;
import android.view.View;

public class ProgressBar extends View {
    public ProgressBar(Context context) { super(context); }
    public ProgressBar(Context context, AttributeSet attrs, int defStyleAttr, int defStyleRes) { super(context, attrs); }
    public synchronized void setMax(int max) {}
    public synchronized int getMax() { throw new UnsupportedOperationException("stub"); }
    public synchronized void setProgress(int progress) {}
    public synchronized int getProgress() { throw new UnsupportedOperationException("stub"); }
}
