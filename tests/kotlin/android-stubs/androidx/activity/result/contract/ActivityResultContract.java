// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.activity.result.contract;

public abstract class ActivityResultContract<I, O> {}
