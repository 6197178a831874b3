// Stub for the compile check only (README.md): signatures from the API reference.
package android.widget;

public interface SpinnerAdapter {}
