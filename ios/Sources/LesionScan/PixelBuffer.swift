// Camera frames from AVFoundation, classified in place (no copy).
//
// Hand-written (not generated). Locks the CVPixelBuffer, hands the base address, size and
// strides of each plane to Classifier.classifyRawFrame (the raw-address entry tested from
// Rust in uniffi/tests/raw_frames.rs), and unlocks it when the call returns.

import CoreVideo
import Foundation

extension Classifier {
    /// Classifies a camera frame held in a `CVPixelBuffer` without copying it: its planes
    /// are read in place while the buffer is locked for the duration of the call.
    ///
    /// Accepts `kCVPixelFormatType_32BGRA` and the two bi-planar 4:2:0 formats,
    /// `kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange` (`'420v'`, the default of
    /// `AVCaptureVideoDataOutput`) and `…FullRange` (`'420f'`).
    ///
    /// ```swift
    /// func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer,
    ///                    from connection: AVCaptureConnection) {
    ///     guard let pixels = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
    ///     let result = try? classifier.classify(pixelBuffer: pixels, rotation: .r90)
    /// }
    /// ```
    ///
    /// Synchronous: call it on the capture queue, not the main thread.
    ///
    /// - Parameters:
    ///   - pixelBuffer: the frame; not modified.
    ///   - rotation: the clockwise rotation that makes the frame upright (`.r90` for the
    ///     back camera of a phone held upright, whose sensor delivers landscape frames).
    /// - Throws: `LesionScanError.Unsupported` for another pixel format,
    ///   `LesionScanError.InvalidFrame` when the buffer cannot be locked or its planes do not
    ///   add up.
    public func classify(
        pixelBuffer: CVPixelBuffer,
        rotation: Rotation = .r0,
        options: ImageOptions = ImageOptions(),
        patient: PatientInfo? = nil
    ) throws -> Classification {
        try withLockedRawFrame(pixelBuffer, rotation: rotation) { frame in
            try classifyRawFrame(frame: frame, options: options, patient: patient)
        }
    }
}

/// Runs `body` with a `RawFrame` that points at the planes of `pixelBuffer`, locked
/// read-only until `body` returns. The zero-copy entries (`Classifier.classify(pixelBuffer:)`
/// here, `LiveSession.pushFrame(pixelBuffer:)` in LiveFrames.swift) share it.
///
/// - Throws: `LesionScanError.Unsupported` for a pixel format other than 32BGRA, '420f' and
///   '420v'; `LesionScanError.InvalidFrame` when the buffer cannot be locked or its planes do
///   not add up; whatever `body` throws.
func withLockedRawFrame<Value>(
    _ pixelBuffer: CVPixelBuffer,
    rotation: Rotation,
    _ body: (RawFrame) throws -> Value
) throws -> Value {
    let format: PixelFormat
    switch CVPixelBufferGetPixelFormatType(pixelBuffer) {
    case kCVPixelFormatType_32BGRA:
        format = .bgra8888
    case kCVPixelFormatType_420YpCbCr8BiPlanarFullRange:
        format = .nv12
    case kCVPixelFormatType_420YpCbCr8BiPlanarVideoRange:
        format = .nv12VideoRange
    case let other:
        throw LesionScanError.Unsupported(
            reason: "pixel format \(fourCharacterCode(other)): use 32BGRA or 420YpCbCr8BiPlanar (video or full range)")
    }

    guard CVPixelBufferLockBaseAddress(pixelBuffer, .readOnly) == kCVReturnSuccess else {
        throw LesionScanError.InvalidFrame(reason: "the pixel buffer could not be locked")
    }
    defer { CVPixelBufferUnlockBaseAddress(pixelBuffer, .readOnly) }

    var planes: [RawPlane] = []
    if CVPixelBufferIsPlanar(pixelBuffer) {
        for index in 0..<CVPixelBufferGetPlaneCount(pixelBuffer) {
            planes.append(try rawPlane(
                index: index,
                base: CVPixelBufferGetBaseAddressOfPlane(pixelBuffer, index),
                bytesPerRow: CVPixelBufferGetBytesPerRowOfPlane(pixelBuffer, index),
                rows: CVPixelBufferGetHeightOfPlane(pixelBuffer, index),
                // Y: one byte a sample; CbCr: interleaved pairs.
                pixelStride: index == 0 ? 1 : 2))
        }
    } else {
        planes.append(try rawPlane(
            index: 0,
            base: CVPixelBufferGetBaseAddress(pixelBuffer),
            bytesPerRow: CVPixelBufferGetBytesPerRow(pixelBuffer),
            rows: CVPixelBufferGetHeight(pixelBuffer),
            pixelStride: 4))
    }
    guard let width = UInt32(exactly: CVPixelBufferGetWidth(pixelBuffer)),
          let height = UInt32(exactly: CVPixelBufferGetHeight(pixelBuffer)) else {
        throw LesionScanError.InvalidFrame(reason: "the pixel buffer's size does not fit in 32 bits")
    }
    let frame = RawFrame(width: width, height: height, format: format, planes: planes, rotation: rotation)
    // The buffer stays locked, so every address stays valid, until this returns.
    return try body(frame)
}

/// One plane as the raw-address entry wants it: its whole extent is `bytesPerRow * rows`
/// bytes from its base address, all inside the locked buffer.
private func rawPlane(
    index: Int, base: UnsafeMutableRawPointer?, bytesPerRow: Int, rows: Int, pixelStride: UInt32
) throws -> RawPlane {
    guard let base = base else {
        throw LesionScanError.InvalidFrame(reason: "plane \(index) has no base address")
    }
    let (length, overflow) = bytesPerRow.multipliedReportingOverflow(by: rows)
    guard !overflow, length >= 0, let rowStride = UInt32(exactly: bytesPerRow) else {
        throw LesionScanError.InvalidFrame(reason: "plane \(index): \(rows) rows of \(bytesPerRow) bytes do not fit")
    }
    return RawPlane(
        address: UInt64(UInt(bitPattern: base)),
        length: UInt64(length),
        rowStride: rowStride,
        pixelStride: pixelStride)
}

/// A pixel format type as its four characters ('420v'), for error messages.
private func fourCharacterCode(_ code: OSType) -> String {
    let bytes = [24, 16, 8, 0].map { UInt8((code >> $0) & 0xff) }
    if bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) {
        return "'" + String(decoding: bytes, as: UTF8.self) + "'"
    }
    return String(code)
}
