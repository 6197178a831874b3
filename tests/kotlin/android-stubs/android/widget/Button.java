// Stub for the compile check only (README.md): signatures from the API reference.
package android.widget;

import android.content.Context;

public class Button extends TextView {
    public Button(Context context) { super(context); }
}
