// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.camera.core;

import androidx.camera.core.resolutionselector.ResolutionSelector;
import java.util.concurrent.Executor;

public final class ImageAnalysis extends UseCase {
    public static final int STRATEGY_KEEP_ONLY_LATEST = 0;
    public static final int STRATEGY_BLOCK_PRODUCER = 1;
    public static final int OUTPUT_IMAGE_FORMAT_YUV_420_888 = 1;
    public static final int OUTPUT_IMAGE_FORMAT_RGBA_8888 = 2;
    public interface Analyzer { void analyze(ImageProxy image); }
    public void setAnalyzer(Executor executor, Analyzer analyzer) {}
    public void clearAnalyzer() {}
    public static final class Builder {
        public Builder() { throw new UnsupportedOperationException("stub"); }
        public Builder setBackpressureStrategy(int strategy) { throw new UnsupportedOperationException("stub"); }
        public Builder setOutputImageFormat(int outputImageFormat) { throw new UnsupportedOperationException("stub"); }
        public Builder setResolutionSelector(ResolutionSelector resolutionSelector) { throw new UnsupportedOperationException("stub"); }
        public ImageAnalysis build() { throw new UnsupportedOperationException("stub"); }
    }
}
