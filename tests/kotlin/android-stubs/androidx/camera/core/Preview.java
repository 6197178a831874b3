// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.camera.core;

import androidx.camera.core.resolutionselector.ResolutionSelector;

public final class Preview extends UseCase {
    public interface SurfaceProvider {}
    public void setSurfaceProvider(SurfaceProvider surfaceProvider) {}
    public static final class Builder {
        public Builder() { throw new UnsupportedOperationException("stub"); }
        public Builder setResolutionSelector(ResolutionSelector resolutionSelector) { throw new UnsupportedOperationException("stub"); }
        public Preview build() { throw new UnsupportedOperationException("stub"); }
    }
}
