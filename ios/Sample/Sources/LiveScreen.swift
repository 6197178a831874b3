// The live screen: the camera with a centring guide, the hint in words, the top three
// classes once the answer is stable, the accelerator, and the disclaimer, always.
import AVFoundation
import LesionScan
import SwiftUI
import os

/// Receives the session's results on its worker thread and publishes them on the main one.
final class LiveModel: ObservableObject, LiveListener, @unchecked Sendable {
    @Published var result: LiveResult?
    @Published var status = "loading the model…"

    let camera = Camera()
    let options = LiveOptions(image: ImageOptions(roi: Guide.roi))
    private var session: LiveSession?
    private let log = Logger(subsystem: "org.lesionscan.sample", category: "live")

    func start() {
        Models.withClassifier { loaded in
            switch loaded {
            case .failure(let error):
                self.status = "Could not load the model: \(error)"
            case .success(let classifier):
                AVCaptureDevice.requestAccess(for: .video) { granted in
                    DispatchQueue.main.async { self.startCamera(classifier, granted: granted) }
                }
            }
        }
    }

    private func startCamera(_ classifier: Classifier, granted: Bool) {
        guard granted else {
            status = "The live screen needs the camera: allow it in Settings, or open a photo instead."
            return
        }
        do {
            let live = try session ?? LiveSession(classifier: classifier, options: options, listener: self)
            session = live
            status = ""
            camera.start(live)
        } catch {
            status = "Could not start: \(error)"
        }
    }

    func stop() {
        let closing = session
        session = nil
        camera.stop()
        // No frame is accepted and no result is delivered after close(); it waits for the
        // model run in progress (up to a few hundred ms), so not on the main thread.
        DispatchQueue.global(qos: .utility).async { closing?.close() }
    }

    // LiveListener: called on the session's worker thread. Hand over and return.
    func onResult(result: LiveResult) {
        DispatchQueue.main.async { self.result = result }
    }

    func onError(error: LesionScanError, timestampMs: UInt64) {
        // The session goes on with the next frame; the screen keeps the last answer.
        log.warning("the frame at \(timestampMs) ms was not classified: \(String(describing: error), privacy: .public)")
    }
}

struct LiveScreen: View {
    @StateObject private var model = LiveModel()

    var body: some View {
        VStack(spacing: 0) {
            ZStack(alignment: .top) {
                CameraPreview(session: model.camera.captureSession)
                GuideOverlay(stable: model.result?.stable ?? false)
                // The core's few words ("more light", "move closer", "centre the mole", "hold
                // steady"), none once the answer is stable; or why the camera is not running.
                // (An app in another language shows its own words for `result.hintKind`.)
                if let hint = model.result?.hint ?? (model.status.isEmpty ? nil : model.status) {
                    Text(hint)
                        .font(.title2)
                        .foregroundColor(.white)
                        .padding()
                        .frame(maxWidth: .infinity)
                        .background(Color.black.opacity(0.6))
                        .accessibilityAddTraits(.updatesFrequently)
                }
            }
            VStack(alignment: .leading, spacing: 8) {
                if let result = model.result {
                    ProgressView(value: min(1, Double(result.heldMs) / Double(model.options.stableAfterMs)))
                    if result.stable {
                        ClassRows(categories: Array(result.smoothed.categories.prefix(3)))
                    }
                    Text("ran on \(String(describing: result.smoothed.accelerator)) (\(result.smoothed.engine))")
                        .font(.caption)
                        .foregroundColor(.secondary)
                }
                Disclaimer()
            }
            .padding()
        }
        .onAppear { model.start() }
        .onDisappear { model.stop() }
    }
}
