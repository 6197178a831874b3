// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.activity;

import android.app.Activity;
import androidx.activity.result.ActivityResultCallback;
import androidx.activity.result.ActivityResultLauncher;
import androidx.activity.result.contract.ActivityResultContract;
import androidx.lifecycle.LifecycleOwner;

public abstract class ComponentActivity extends Activity implements LifecycleOwner {
    public final <I, O> ActivityResultLauncher<I> registerForActivityResult(
            ActivityResultContract<I, O> contract, ActivityResultCallback<O> callback) { throw new UnsupportedOperationException("stub"); }
}
