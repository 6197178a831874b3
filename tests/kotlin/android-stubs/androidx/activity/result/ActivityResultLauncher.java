// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.activity.result;

public abstract class ActivityResultLauncher<I> {
    public void launch(I input) {}
}
