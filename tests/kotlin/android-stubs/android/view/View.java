// Stub for the compile check only (README.md): signatures from the API reference.
package android.view;

import android.content.Context;
import android.graphics.Canvas;
import android.util.AttributeSet;

public class View {
    public static final int VISIBLE = 0;
    public static final int INVISIBLE = 4;
    public static final int GONE = 8;
    public interface OnClickListener { void onClick(View v); }
    public View(Context context) { throw new UnsupportedOperationException("stub"); }
    public View(Context context, AttributeSet attrs) { throw new UnsupportedOperationException("stub"); }
    public final Context getContext() { throw new UnsupportedOperationException("stub"); }
    public final int getWidth() { throw new UnsupportedOperationException("stub"); }
    public final int getHeight() { throw new UnsupportedOperationException("stub"); }
    public void setVisibility(int visibility) {}
    public int getVisibility() { throw new UnsupportedOperationException("stub"); }
    public void setContentDescription(CharSequence contentDescription) {}
    public CharSequence getContentDescription() { throw new UnsupportedOperationException("stub"); }
    public void setEnabled(boolean enabled) {}
    public boolean isEnabled() { throw new UnsupportedOperationException("stub"); }
    public void invalidate() {}
    public void setOnClickListener(OnClickListener l) {}
    protected void onDraw(Canvas canvas) {}
}
