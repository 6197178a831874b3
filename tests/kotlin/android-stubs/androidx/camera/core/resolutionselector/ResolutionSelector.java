// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.camera.core.resolutionselector;

public final class ResolutionSelector {
    public static final class Builder {
        public Builder() { throw new UnsupportedOperationException("stub"); }
        public Builder setAspectRatioStrategy(AspectRatioStrategy aspectRatioStrategy) { throw new UnsupportedOperationException("stub"); }
        public ResolutionSelector build() { throw new UnsupportedOperationException("stub"); }
    }
}
