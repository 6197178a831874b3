// Stub for the compile check only (README.md): signatures from the API reference.
package android.widget;

import android.content.Context;
import android.net.Uri;
import android.view.View;

public class ImageView extends View {
    public ImageView(Context context) { super(context); }
    public void setImageURI(Uri uri) {}
}
