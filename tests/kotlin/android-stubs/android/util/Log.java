// Stub for the compile check only (README.md): signatures from the API reference.
package android.util;

public final class Log {
    private Log() {}
    public static int w(String tag, String msg) { throw new UnsupportedOperationException("stub"); }
}
