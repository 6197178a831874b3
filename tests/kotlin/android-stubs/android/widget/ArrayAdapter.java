// Stub for the compile check only (README.md): signatures from the API reference.
package android.widget;

import android.content.Context;
import java.util.List;

public class ArrayAdapter<T> implements SpinnerAdapter {
    public ArrayAdapter(Context context, int resource, List<T> objects) { throw new UnsupportedOperationException("stub"); }
}
