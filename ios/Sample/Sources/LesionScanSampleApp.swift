// The LesionScan sample app: a live camera screen and a photo screen.
import LesionScan
import SwiftUI

@main
struct LesionScanSampleApp: App {
    var body: some Scene {
        WindowGroup {
            TabView {
                LiveScreen()
                    .tabItem { Label("Live", systemImage: "camera") }
                PhotoScreen()
                    .tabItem { Label("Photo", systemImage: "photo") }
            }
        }
    }
}

/// The sentence every screen shows, always: LesionScan is not a medical device.
struct Disclaimer: View {
    var body: some View {
        Text(disclaimer())
            .font(.footnote.bold())
            .frame(maxWidth: .infinity, alignment: .leading)
    }
}
