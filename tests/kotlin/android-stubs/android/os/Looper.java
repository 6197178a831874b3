// Stub for the compile check only (README.md): signatures from the API reference.
package android.os;

public final class Looper {
    private Looper() {}
    public static Looper getMainLooper() { throw new UnsupportedOperationException("stub"); }
}
