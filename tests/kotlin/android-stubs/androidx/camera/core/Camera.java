// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.camera.core;

public interface Camera {}
