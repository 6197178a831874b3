// The photo screen: a picture from the library, optional age, sex and body site, then
// classifyImage.
import LesionScan
import PhotosUI
import SwiftUI

struct PhotoScreen: View {
    @State private var item: PhotosPickerItem?
    @State private var photo: Data?
    @State private var age = ""
    @State private var sex: Sex?
    @State private var site: BodySite?
    @State private var result: Classification?
    @State private var message = ""
    @State private var busy = false

    private static let sites: [BodySite] = [
        .abdomen, .acral, .back, .chest, .ear, .face, .foot, .genital, .hand,
        .lowerExtremity, .neck, .scalp, .trunk, .upperExtremity,
    ]

    var body: some View {
        // Everything but the disclaimer scrolls; the disclaimer stays on screen.
        VStack(spacing: 0) {
            form
            Disclaimer().padding()
        }
    }

    private var form: some View {
        Form {
            Section {
                PhotosPicker("Pick a photo", selection: $item, matching: .images)
                if let photo, let image = UIImage(data: photo) {
                    Image(uiImage: image).resizable().scaledToFit().frame(maxHeight: 240)
                }
            }
            Section("Patient (optional)") {
                TextField("Age", text: $age).keyboardType(.numberPad)
                Picker("Sex", selection: $sex) {
                    Text("unknown").tag(Sex?.none)
                    Text("female").tag(Sex?.some(.female))
                    Text("male").tag(Sex?.some(.male))
                }
                Picker("Body site", selection: $site) {
                    Text("unknown").tag(BodySite?.none)
                    ForEach(Self.sites, id: \.self) { site in
                        Text(String(describing: site)).tag(BodySite?.some(site))
                    }
                }
            }
            Section {
                Button("Classify", action: classify).disabled(photo == nil || busy)
                if !message.isEmpty {
                    Text(message).foregroundColor(.red)
                }
                if let result {
                    ClassRows(categories: Array(result.categories.prefix(3)))
                    Text("malignant classes together: \(percent(result.malignantProbability))")
                    Text("ran on \(String(describing: result.accelerator)) (\(result.engine))")
                        .font(.caption).foregroundColor(.secondary)
                }
            }
        }
        .onChange(of: item) { newItem in
            Task {
                photo = try? await newItem?.loadTransferable(type: Data.self)
                result = nil
                message = ""
            }
        }
    }

    private func classify() {
        guard let photo else { return }
        // Nothing entered: no patient, and the model goes without it.
        let entered = PatientInfo(age: UInt32(age), sex: sex, site: site)
        let patient = entered == PatientInfo() ? nil : entered
        busy = true
        Models.withClassifier { loaded in
            switch loaded {
            case .failure(let error):
                show(.failure(error))
            case .success(let classifier):
                // Off the main thread: decoding and the model take tens to hundreds of ms.
                DispatchQueue.global(qos: .userInitiated).async {
                    let outcome = Result { try classifier.classifyImage(encoded: photo, options: ImageOptions(), patient: patient) }
                    DispatchQueue.main.async { show(outcome) }
                }
            }
        }
    }

    private func show(_ outcome: Result<Classification, Error>) {
        busy = false
        switch outcome {
        case .failure(let error):
            result = nil
            message = "Could not classify: \(error)"
        case .success(let classification):
            result = classification
            // The picture is always classified; the quality report says whether to trust it.
            message = classification.quality.usable ? "" :
                "This picture is not good enough to judge: "
                + classification.quality.issues.map { qualityIssueAdvice(issue: $0) }.joined(separator: "; ") + "."
        }
    }
}
