// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.activity.result;

public interface ActivityResultCallback<O> { void onActivityResult(O result); }
