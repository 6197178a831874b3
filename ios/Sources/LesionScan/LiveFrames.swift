// Camera frames from AVFoundation into a LiveSession, read in place (no copy).
//
// Hand-written (not generated). Builds on PixelBuffer.swift, which locks the CVPixelBuffer
// and hands its plane addresses to the library; here they go to LiveSession.pushRawFrame,
// which converts the frame to the model's size before it returns, so the buffer can go
// back to the camera at once.

import CoreMedia
import CoreVideo
import Foundation

extension LiveSession {
    /// Hands a camera frame to the session without copying it, and returns at once: the
    /// frame is converted to the model's input size while the buffer is locked, and the
    /// model runs later on the session's worker thread.
    ///
    /// ```swift
    /// func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer,
    ///                    from connection: AVCaptureConnection) {
    ///     try? session.pushFrame(sampleBuffer: sampleBuffer, rotation: .r90)
    /// }
    /// ```
    ///
    /// - Parameters:
    ///   - sampleBuffer: a video frame from `AVCaptureVideoDataOutput` in
    ///     `kCVPixelFormatType_420YpCbCr8BiPlanarFullRange` (`'420f'`), `…VideoRange`
    ///     (`'420v'`) or `kCVPixelFormatType_32BGRA`; its presentation time is the frame's
    ///     timestamp.
    ///   - rotation: the clockwise rotation that makes the frame upright (`.r90` for the
    ///     back camera of a phone held upright, whose sensor delivers landscape frames).
    /// - Throws: `LesionScanError.Closed` after `close()`; `LesionScanError.InvalidArgument`
    ///   for a sample buffer without a valid presentation time, or one not after the
    ///   previous frame's; `LesionScanError.InvalidFrame` or `.Unsupported` for a buffer the
    ///   library cannot read.
    public func pushFrame(sampleBuffer: CMSampleBuffer, rotation: Rotation = .r0) throws {
        guard let pixelBuffer = CMSampleBufferGetImageBuffer(sampleBuffer) else {
            throw LesionScanError.InvalidFrame(reason: "the sample buffer holds no image")
        }
        let time = CMSampleBufferGetPresentationTimeStamp(sampleBuffer)
        guard time.isValid, time.isNumeric else {
            throw LesionScanError.InvalidArgument(reason: "the sample buffer has no valid presentation time")
        }
        let milliseconds = CMTimeConvertScale(time, timescale: 1000, method: .roundTowardNegativeInfinity).value
        guard milliseconds >= 0 else {
            throw LesionScanError.InvalidArgument(reason: "the sample buffer's presentation time is negative")
        }
        try pushFrame(pixelBuffer: pixelBuffer, rotation: rotation, timestampMs: UInt64(milliseconds))
    }

    /// Hands a frame in a `CVPixelBuffer` to the session without copying it; see
    /// `pushFrame(sampleBuffer:rotation:)`. `timestampMs` is the frame's capture time in
    /// milliseconds on a monotonic clock, greater than the previous frame's.
    public func pushFrame(pixelBuffer: CVPixelBuffer, rotation: Rotation = .r0, timestampMs: UInt64) throws {
        try withLockedRawFrame(pixelBuffer, rotation: rotation) { frame in
            try pushRawFrame(frame: frame, timestampMs: timestampMs)
        }
    }
}
