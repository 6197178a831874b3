// Stub for the compile check only (README.md): signatures from the API reference.
package android.net;

public abstract class Uri {}
