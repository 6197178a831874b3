// Stub for the compile check only (README.md): signatures from the API reference.
package android.widget;

import android.content.Context;
import android.view.View;

public class Spinner extends View {
    public Spinner(Context context) { super(context); }
    public void setAdapter(SpinnerAdapter adapter) {}
    public SpinnerAdapter getAdapter() { throw new UnsupportedOperationException("stub"); }
    public int getSelectedItemPosition() { throw new UnsupportedOperationException("stub"); }
}
