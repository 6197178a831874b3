// Stub for the compile check only (README.md): signatures from the API reference.
package androidx.activity.result

import androidx.activity.result.contract.ActivityResultContracts.PickVisualMedia

class PickVisualMediaRequest internal constructor() {
    var mediaType: PickVisualMedia.VisualMediaType = PickVisualMedia.ImageAndVideo
        internal set
}

fun PickVisualMediaRequest(
    mediaType: PickVisualMedia.VisualMediaType = PickVisualMedia.ImageAndVideo,
): PickVisualMediaRequest = throw UnsupportedOperationException("stub")
