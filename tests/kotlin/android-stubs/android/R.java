// Stub for the compile check only (README.md): signatures from the API reference.
package android;

public final class R {
    public static final class layout {
        public static final int simple_spinner_dropdown_item = 0x01090009;
    }
    public static final class style {
        public static final int Widget_Material_ProgressBar_Horizontal = 0x01030228;
    }
}
