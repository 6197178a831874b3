// Stub for the compile check only (README.md): signatures from the API reference.
package android.widget;

import android.content.Context;
import android.view.ViewGroup;

public class LinearLayout extends ViewGroup {
    public static class LayoutParams extends ViewGroup.LayoutParams {
        public LayoutParams(int width, int height) { super(width, height); }
    }
    public LinearLayout(Context context) { super(context); }
}
