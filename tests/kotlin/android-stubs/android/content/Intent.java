// Stub for the compile check only (README.md): signatures from the API reference.
package android.content;

public class Intent {
    public Intent(Context packageContext, Class<?> cls) { throw new UnsupportedOperationException("stub"); }
}
