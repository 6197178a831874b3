// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.camera.core.resolutionselector;

public final class AspectRatioStrategy {
    public static final AspectRatioStrategy RATIO_4_3_FALLBACK_AUTO_STRATEGY = null;
    public static final AspectRatioStrategy RATIO_16_9_FALLBACK_AUTO_STRATEGY = null;
}
