// The ranked classes as rows of name, probability bar and percentage.
import LesionScan
import SwiftUI

struct ClassRows: View {
    // Qualified: the Objective-C runtime also has a `Category`.
    let categories: [LesionScan.Category]

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            ForEach(categories, id: \.code) { category in
                VStack(alignment: .leading, spacing: 2) {
                    Text(category.malignant ? "\(category.name) (malignant class)" : category.name)
                        .font(.subheadline)
                    ProgressView(value: Double(category.probability))
                    Text(percent(category.probability)).font(.caption)
                }
                .accessibilityElement(children: .combine)
            }
        }
    }
}
