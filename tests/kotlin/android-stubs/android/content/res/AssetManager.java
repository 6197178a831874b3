// Stub for the compile check only (README.md): signatures from the API reference.
package android.content.res;

import java.io.IOException;
import java.io.InputStream;

public final class AssetManager implements AutoCloseable {
    public InputStream open(String fileName) throws IOException { throw new UnsupportedOperationException("stub"); }
    public void close() {}
}
