// The centring guide over the camera preview, and the region of interest it stands for.
import LesionScan
import SwiftUI

/// A centred square, `side` of the width of the upright 9:16 frame (the camera runs at
/// 1280x720, the app is portrait-only). `roi` is that square in fractions of the frame, so
/// the model sees exactly what is inside the guide, undistorted.
enum Guide {
    static let side: Float = 0.6
    static let aspect: Float = 9.0 / 16.0 // upright width / height

    static let roi = Roi(x: (1 - side) / 2, y: (1 - side * aspect) / 2, width: side, height: side * aspect)

    /// The guide's square in a view of `size` showing the whole frame (aspect fit).
    static func square(in size: CGSize) -> CGRect {
        let frameWidth = min(size.width, size.height * CGFloat(aspect))
        let length = frameWidth * CGFloat(side)
        return CGRect(x: (size.width - length) / 2, y: (size.height - length) / 2, width: length, height: length)
    }
}

/// Dims everything outside the guide; the outline turns green once the answer is stable.
struct GuideOverlay: View {
    let stable: Bool

    var body: some View {
        GeometryReader { geometry in
            let square = Guide.square(in: geometry.size)
            ZStack {
                Path { path in
                    path.addRect(CGRect(origin: .zero, size: geometry.size))
                    path.addRect(square)
                }
                .fill(Color.black.opacity(0.45), style: FillStyle(eoFill: true))
                Path { $0.addRect(square) }
                    .stroke(stable ? Color.green : Color.white, lineWidth: 3)
            }
        }
        .allowsHitTesting(false)
        .accessibilityHidden(true)
    }
}
