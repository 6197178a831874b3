// Stub for the compile check only (README.md): signatures from the API reference.
package android.os;

public class Handler {
    public Handler(Looper looper) { throw new UnsupportedOperationException("stub"); }
    public final boolean post(Runnable r) { throw new UnsupportedOperationException("stub"); }
}
