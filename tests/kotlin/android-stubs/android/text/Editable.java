// Stub for the compile check only (README.md): signatures from the API reference.
package android.text;

public interface Editable extends CharSequence {}
