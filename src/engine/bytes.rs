//! [`ModelBytes`]: a model's bytes, shared between the classifier and the runtime without
//! copying them.
//!
//! LiteRT and the TFLite C API read a model in place: they keep pointers into its buffer
//! for as long as the model lives, so the buffer must outlive the compiled session. A
//! session therefore holds a `ModelBytes` (a reference count, not a copy) instead of a
//! private copy of the bytes. Mapping a file (`ModelBytes::map_file`) keeps the model in
//! the page cache rather than in the heap: the pages are shared with every other mapping
//! of the file and can be dropped by the system and read back when memory is short.
//!
//! This module is the one boundary where the library maps files; its one `unsafe` block
//! is the mapping itself.

use std::fmt;
use std::fs::File;
use std::ops::Deref;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use sha2::{Digest, Sha256};

use crate::error::Result;

/// A model's bytes: owned, static, or a read-only mapping of a file. Cheap to clone (a
/// reference count); the bytes are never copied after construction.
///
/// # Examples
/// ```
/// use lesionscan::engine::ModelBytes;
///
/// let mapped = ModelBytes::map_file("tests/data/mobilenet_tiny_int8.tflite")?;
/// let read = ModelBytes::from(std::fs::read("tests/data/mobilenet_tiny_int8.tflite")?);
/// assert_eq!(mapped.as_slice(), read.as_slice());
/// assert_eq!(mapped.sha256_hex(), read.sha256_hex());
/// let shared = mapped.clone(); // no copy of the bytes
/// assert_eq!(shared.as_slice().as_ptr(), mapped.as_slice().as_ptr());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ModelBytes(Arc<Shared>);

struct Shared {
    storage: Storage,
    sha256: OnceLock<[u8; 32]>,
}

enum Storage {
    Owned(Vec<u8>),
    Static(&'static [u8]),
    Mapped(memmap2::Mmap),
}

impl ModelBytes {
    fn new(storage: Storage) -> Self {
        Self(Arc::new(Shared {
            storage,
            sha256: OnceLock::new(),
        }))
    }

    /// Bytes that live as long as the program, such as a model built in with
    /// `include_bytes!`: nothing is copied.
    pub fn from_static(bytes: &'static [u8]) -> Self {
        Self::new(Storage::Static(bytes))
    }

    /// Maps a model file read-only (an empty file is read instead, as it cannot be
    /// mapped).
    ///
    /// The file must not be changed or truncated while any classifier made from it is
    /// alive: the runtime reads the mapping directly, and a truncated file makes those
    /// reads fail with `SIGBUS`. To update a model, write the new file beside the old one
    /// and rename it over the old path (renaming keeps the old file's pages for whoever
    /// still maps them); this is how TensorFlow Lite and LiteRT load model files too.
    ///
    /// # Errors
    /// [`Error::Io`](crate::Error::Io) when the file cannot be opened or mapped.
    pub fn map_file(path: impl AsRef<Path>) -> Result<Self> {
        let file = File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(Self::from(Vec::new()));
        }
        // `populate` (Linux, Android) faults the whole file in at once: the checksum and the
        // runtime read every page anyway, and one call is cheaper than a fault per page.
        // SAFETY: the mapping is read-only and private to this value, and every access goes
        // through `as_slice`. What the type cannot promise is that no other process
        // truncates or rewrites the file meanwhile; the documentation above states that
        // contract, which is the same one LiteRT's and TFLite's own file loaders rely on.
        let map = unsafe { memmap2::MmapOptions::new().populate().map(&file) }?;
        Ok(Self::new(Storage::Mapped(map)))
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match &self.0.storage {
            Storage::Owned(bytes) => bytes,
            Storage::Static(bytes) => bytes,
            Storage::Mapped(map) => map,
        }
    }

    /// Whether the bytes are a mapping of a file (see [`ModelBytes::map_file`]).
    pub fn is_mapped(&self) -> bool {
        matches!(self.0.storage, Storage::Mapped(_))
    }

    /// SHA-256 of the bytes, computed once and remembered (the card's checksum check and
    /// the weight cache's file name share it).
    pub fn sha256(&self) -> [u8; 32] {
        *self
            .0
            .sha256
            .get_or_init(|| Sha256::digest(self.as_slice()).into())
    }

    /// [`ModelBytes::sha256`] as lower-case hex.
    pub fn sha256_hex(&self) -> String {
        self.sha256().iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl Deref for ModelBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for ModelBytes {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl fmt::Debug for ModelBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.0.storage {
            Storage::Owned(_) => "owned",
            Storage::Static(_) => "static",
            Storage::Mapped(_) => "mapped",
        };
        f.debug_struct("ModelBytes")
            .field("len", &self.len())
            .field("storage", &kind)
            .finish()
    }
}

/// Takes the vector: no copy.
impl From<Vec<u8>> for ModelBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(Storage::Owned(bytes))
    }
}

/// Copies the bytes once (the slice may not outlive the call).
impl From<&[u8]> for ModelBytes {
    fn from(bytes: &[u8]) -> Self {
        Self::from(bytes.to_vec())
    }
}

/// Copies the bytes once; pass the vector itself to avoid the copy.
impl From<&Vec<u8>> for ModelBytes {
    fn from(bytes: &Vec<u8>) -> Self {
        Self::from(bytes.as_slice())
    }
}

/// Copies the bytes once.
impl<const N: usize> From<&[u8; N]> for ModelBytes {
    fn from(bytes: &[u8; N]) -> Self {
        Self::from(bytes.as_slice())
    }
}

/// Shares the bytes: no copy.
impl From<&ModelBytes> for ModelBytes {
    fn from(bytes: &ModelBytes) -> Self {
        bytes.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_storage_gives_the_same_bytes_and_hash() {
        let path = "tests/data/two_input_float.tflite";
        let expected = std::fs::read(path).expect("reads");
        let mapped = ModelBytes::map_file(path).expect("maps");
        assert!(mapped.is_mapped());
        let leaked: &'static [u8] = Box::leak(expected.clone().into_boxed_slice());
        for bytes in [
            mapped,
            ModelBytes::from(expected.clone()),
            ModelBytes::from(expected.as_slice()),
            ModelBytes::from_static(leaked),
        ] {
            assert_eq!(bytes.as_slice(), expected.as_slice());
            assert_eq!(bytes.sha256(), <[u8; 32]>::from(Sha256::digest(&expected)));
        }
    }

    #[test]
    fn a_vector_is_taken_not_copied_and_clones_share() {
        let vector = vec![7u8; 1000];
        let address = vector.as_ptr();
        let bytes = ModelBytes::from(vector);
        assert_eq!(bytes.as_ptr(), address);
        assert_eq!(bytes.clone().as_ptr(), address);
        assert_eq!(ModelBytes::from(&bytes).as_ptr(), address);
    }

    #[test]
    fn empty_and_missing_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let empty = dir.path().join("empty.tflite");
        std::fs::write(&empty, b"").expect("writes");
        let bytes = ModelBytes::map_file(&empty).expect("an empty file still loads");
        assert!(bytes.is_empty());
        assert!(matches!(
            ModelBytes::map_file(dir.path().join("missing.tflite")),
            Err(crate::Error::Io { .. })
        ));
    }
}
