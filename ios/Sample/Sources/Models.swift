// The one classifier the app shares between its screens, loaded once from the bundle.
import Foundation
import LesionScan

enum Models {
    private static let queue = DispatchQueue(label: "org.lesionscan.sample.models")
    private static var classifier: Classifier?

    /// Calls `ready` on the main thread with the shared classifier, loading it first (off
    /// the main thread: compiling the model takes up to a second) on the first call.
    static func withClassifier(_ ready: @escaping (Result<Classifier, Error>) -> Void) {
        queue.async {
            let result = Result<Classifier, Error> {
                if let loaded = Models.classifier { return loaded }
                guard let model = Bundle.main.path(forResource: "model", ofType: "tflite"),
                      let card = Bundle.main.path(forResource: "model", ofType: "json") else {
                    throw LesionScanError.Io(reason: "model.tflite or model.json is missing from the app bundle")
                }
                // Metal where the phone has it (the result says what ran); the top three classes.
                let loaded = try Classifier.fromFiles(
                    modelPath: model, cardPath: card,
                    options: ClassifierOptions(accelerator: .gpu, maxResults: 3))
                Models.classifier = loaded
                return loaded
            }
            DispatchQueue.main.async { ready(result) }
        }
    }
}

func percent(_ probability: Float) -> String {
    String(format: "%.1f %%", probability * 100)
}
