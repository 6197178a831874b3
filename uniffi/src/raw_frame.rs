//! The zero-copy camera path: planes given as memory addresses, read in place.
//!
//! This is the one module of the bindings that turns addresses into Rust slices. Its
//! callers are the platform helpers, never application code:
//! - Android (`DirectFrames.kt`): each address and length come from JNI's
//!   `GetDirectBufferAddress` / `GetDirectBufferCapacity` on the camera's direct
//!   `ByteBuffer` (see `jvm.rs`), so the length is the buffer's capacity, not a
//!   caller's word; the buffers stay reachable until the call returns.
//! - iOS (`PixelBuffer.swift`): the base address of each plane of a locked
//!   `CVPixelBuffer`, with `bytesPerRow * height` of that plane as its length; the buffer
//!   is unlocked after the call.
//!
//! What can be checked here is checked: a null address, a length or an end address
//! beyond what the platform can address, and then (by the core) every stride and size
//! against the lengths. A byte slice has no alignment requirement, so any address is
//! accepted. Whether `length` bytes really are readable at `address` cannot be checked
//! by anyone; that is the contract of the platform helpers above.

use crate::error::{LesionScanError, Result};
use crate::frames::PixelFormat;
use crate::options::Rotation;

/// One plane of a [`RawFrame`]: where it is in memory and how it is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct RawPlane {
    /// Address of the plane's first byte.
    pub address: u64,
    /// Number of readable bytes from `address`.
    pub length: u64,
    /// Bytes from the start of one row to the start of the next.
    pub row_stride: u32,
    /// Bytes from one sample to the next within a row.
    pub pixel_stride: u32,
}

/// A camera frame whose planes are read where they are, for the duration of one call.
///
/// Low level: made by the Android and iOS helpers from a direct `ByteBuffer` or a locked
/// `CVPixelBuffer`. Application code calls those helpers instead.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RawFrame {
    /// Width of the frame as stored (before rotation), in pixels.
    pub width: u32,
    /// Height of the frame as stored (before rotation), in pixels.
    pub height: u32,
    /// How the pixels are laid out in `planes`.
    pub format: PixelFormat,
    /// The planes, in the order the format names them.
    pub planes: Vec<RawPlane>,
    /// Clockwise rotation that makes the stored frame upright.
    pub rotation: Rotation,
}

impl RawFrame {
    /// The core's frame, reading each plane in place.
    ///
    /// # Safety
    /// For as long as the returned frame lives, each plane's `address` must point to
    /// `length` bytes that are readable and that nothing writes to.
    ///
    /// # Errors
    /// [`LesionScanError::InvalidFrame`] for a null address with a non-zero length, or
    /// a length or an end address that this platform cannot address.
    pub(crate) unsafe fn borrow(&self) -> Result<lesionscan::Frame<'_>> {
        let RawFrame {
            width,
            height,
            format,
            planes,
            rotation,
        } = self;
        let mut borrowed = Vec::with_capacity(planes.len());
        for (index, plane) in planes.iter().enumerate() {
            // SAFETY: the caller's contract, passed on plane by plane.
            let bytes = unsafe { plane_bytes(index, plane)? };
            borrowed.push(lesionscan::Plane {
                bytes,
                row_stride: plane.row_stride as usize,
                pixel_stride: plane.pixel_stride as usize,
            });
        }
        Ok(lesionscan::Frame {
            width: *width,
            height: *height,
            format: (*format).into(),
            planes: borrowed,
            rotation: (*rotation).into(),
        })
    }
}

/// The bytes of one plane, after the checks that an address and a length allow.
///
/// # Safety
/// As [`RawFrame::borrow`]: `length` bytes at `address` are readable and not written to
/// for the lifetime `'a`.
unsafe fn plane_bytes<'a>(index: usize, plane: &RawPlane) -> Result<&'a [u8]> {
    let invalid = |what: &str| LesionScanError::frame(format!("plane {index}: {what}"));
    if plane.length == 0 {
        // Nothing to read; the core says which plane is too short for its frame.
        return Ok(&[]);
    }
    if plane.address == 0 {
        return Err(invalid("null address"));
    }
    let address = usize::try_from(plane.address)
        .map_err(|_| invalid("address beyond this platform's address space"))?;
    let length = usize::try_from(plane.length)
        .ok()
        .filter(|&length| length <= isize::MAX as usize)
        .ok_or_else(|| invalid("length beyond this platform's address space"))?;
    if address.checked_add(length).is_none() {
        return Err(invalid("address + length overflows"));
    }
    // SAFETY: the address is not null, `length` fits in `isize` and the range does not
    // wrap around; `u8` needs no alignment. That the bytes are readable and unchanging
    // for `'a` is the caller's contract (see the module documentation).
    Ok(unsafe { std::slice::from_raw_parts(address as *const u8, length) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(address: u64, length: u64) -> RawPlane {
        RawPlane {
            address,
            length,
            row_stride: 4,
            pixel_stride: 1,
        }
    }

    fn reason(result: Result<&[u8]>) -> String {
        match result {
            Err(LesionScanError::InvalidFrame { reason }) => reason,
            other => panic!("expected InvalidFrame, got {other:?}"),
        }
    }

    #[test]
    fn null_addresses_are_refused_unless_nothing_is_read() {
        // SAFETY: no byte is read in either case.
        let refused = unsafe { plane_bytes(1, &plane(0, 16)) };
        assert_eq!(reason(refused), "plane 1: null address");
        let empty = unsafe { plane_bytes(0, &plane(0, 0)) };
        assert_eq!(empty.expect("empty plane"), &[] as &[u8]);
    }

    #[test]
    fn ranges_that_wrap_or_exceed_isize_are_refused_before_any_read() {
        // SAFETY: both are refused by the checks before a slice is made.
        let wraps = unsafe { plane_bytes(0, &plane(u64::MAX - 8, 16)) };
        assert!(reason(wraps).contains("overflows"), "wrapping range");
        let huge = unsafe { plane_bytes(2, &plane(4096, u64::MAX / 2 + 1)) };
        assert!(
            reason(huge).contains("length beyond"),
            "length over isize::MAX"
        );
    }

    #[test]
    fn a_plane_is_read_where_it_lies() {
        let pixels = [7u8, 8, 9, 10, 11];
        let raw = plane(pixels[1..].as_ptr() as u64, 4);
        // SAFETY: four readable bytes of `pixels`, alive and unchanged for this test.
        let bytes = unsafe { plane_bytes(0, &raw) }.expect("valid plane");
        assert_eq!(bytes, &pixels[1..]);
        assert_eq!(bytes.as_ptr(), pixels[1..].as_ptr(), "no copy");
    }
}
