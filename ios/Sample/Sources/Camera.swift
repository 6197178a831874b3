// The back camera: an AVCaptureSession whose video frames go to a LiveSession without a
// copy, and the preview layer that shows them.
import AVFoundation
import LesionScan
import SwiftUI
import os

final class Camera: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate, @unchecked Sendable {
    let captureSession = AVCaptureSession()
    /// Frames arrive here, one at a time; the session is configured here too.
    private let queue = DispatchQueue(label: "org.lesionscan.sample.camera")
    private var live: LiveSession?
    private var configured = false
    private let log = Logger(subsystem: "org.lesionscan.sample", category: "camera")

    /// Starts the camera, handing every frame to `live`.
    func start(_ live: LiveSession) {
        queue.async {
            self.live = live
            if !self.configured {
                self.configured = self.configure()
            }
            if self.configured && !self.captureSession.isRunning {
                self.captureSession.startRunning()
            }
        }
    }

    /// Stops the camera; returns once no frame is being handed over.
    func stop() {
        queue.sync {
            self.captureSession.stopRunning()
            self.live = nil
        }
    }

    private func configure() -> Bool {
        captureSession.beginConfiguration()
        defer { captureSession.commitConfiguration() }
        // 16:9, as the guide assumes; 720 pixels across the upright frame are plenty for
        // a 254-pixel model and the quality checks.
        captureSession.sessionPreset = .hd1280x720
        guard let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let input = try? AVCaptureDeviceInput(device: device),
              captureSession.canAddInput(input) else {
            log.error("no back camera")
            return false
        }
        captureSession.addInput(input)
        let output = AVCaptureVideoDataOutput()
        // While the delegate is busy, late frames are dropped rather than queued.
        output.alwaysDiscardsLateVideoFrames = true
        // Bi-planar 4:2:0 full range ('420f'), read in place by the library.
        output.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_420YpCbCr8BiPlanarFullRange]
        output.setSampleBufferDelegate(self, queue: queue)
        guard captureSession.canAddOutput(output) else {
            log.error("the video output cannot be added")
            return false
        }
        captureSession.addOutput(output)
        return true
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer,
                       from connection: AVCaptureConnection) {
        do {
            // The sensor delivers landscape frames; a quarter turn clockwise makes them
            // upright for a phone held in portrait. Returns at once: the model runs on the
            // session's own thread, and the buffer goes back to the camera now.
            try live?.pushFrame(sampleBuffer: sampleBuffer, rotation: .r90)
        } catch LesionScanError.Closed {
            // The screen is closing.
        } catch {
            log.warning("frame refused: \(String(describing: error), privacy: .public)")
        }
    }
}

/// The camera preview, showing the whole frame (aspect fit) so that the guide marks
/// exactly what the model sees.
struct CameraPreview: UIViewRepresentable {
    let session: AVCaptureSession

    final class PreviewView: UIView {
        override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }
        var previewLayer: AVCaptureVideoPreviewLayer { layer as! AVCaptureVideoPreviewLayer }
    }

    func makeUIView(context: Context) -> PreviewView {
        let view = PreviewView()
        view.backgroundColor = .black
        view.previewLayer.session = session
        view.previewLayer.videoGravity = .resizeAspect
        return view
    }

    func updateUIView(_ uiView: PreviewView, context: Context) {}
}
