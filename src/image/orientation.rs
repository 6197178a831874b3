//! EXIF orientations and rotations as one transform from upright to stored pixels.

use super::types::Rotation;

/// One of the eight ways to put a stored picture upright: an optional transpose followed
/// by optional mirrorings, expressed as the map from upright pixel coordinates to stored
/// ones.
///
/// For an upright pixel `(u, v)`: take `(a, b) = (v, u)` when `swap`, else `(u, v)`; then
/// the stored pixel is `(flip_x ? Ws-1-a : a, flip_y ? Hs-1-b : b)` in a stored picture of
/// `Ws x Hs`. Upright size is the stored size, with width and height exchanged when `swap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Transform {
    /// Upright x runs along stored y (and upright y along stored x).
    pub(crate) swap: bool,
    /// The stored x coordinate runs backwards.
    pub(crate) flip_x: bool,
    /// The stored y coordinate runs backwards.
    pub(crate) flip_y: bool,
}

impl Transform {
    const fn new(swap: bool, flip_x: bool, flip_y: bool) -> Self {
        Self {
            swap,
            flip_x,
            flip_y,
        }
    }

    /// The transform that displays a picture stored with this EXIF orientation upright.
    pub(crate) fn from_exif(orientation: image::metadata::Orientation) -> Self {
        use image::metadata::Orientation as O;
        match orientation {
            O::NoTransforms => Self::new(false, false, false),
            O::FlipHorizontal => Self::new(false, true, false),
            O::Rotate180 => Self::new(false, true, true),
            O::FlipVertical => Self::new(false, false, true),
            O::Rotate90FlipH => Self::new(true, false, false),
            O::Rotate90 => Self::from(Rotation::R90),
            O::Rotate270FlipH => Self::new(true, true, true),
            O::Rotate270 => Self::from(Rotation::R270),
        }
    }

    /// `self` (applied to the stored picture first) followed by `next`.
    #[must_use]
    pub(crate) fn then(self, next: Transform) -> Transform {
        // Upright coordinates go through `next` first, then through `self`.
        if self.swap {
            Self::new(
                !next.swap,
                self.flip_x ^ next.flip_y,
                self.flip_y ^ next.flip_x,
            )
        } else {
            Self::new(
                next.swap,
                self.flip_x ^ next.flip_x,
                self.flip_y ^ next.flip_y,
            )
        }
    }

    /// Upright size of a picture stored as `stored`.
    pub(crate) fn upright_size(self, stored: (usize, usize)) -> (usize, usize) {
        if self.swap {
            (stored.1, stored.0)
        } else {
            stored
        }
    }
}

impl From<Rotation> for Transform {
    /// A clockwise rotation of the stored picture.
    fn from(rotation: Rotation) -> Self {
        match rotation {
            Rotation::R0 => Self::new(false, false, false),
            Rotation::R90 => Self::new(true, false, true),
            Rotation::R180 => Self::new(false, true, true),
            Rotation::R270 => Self::new(true, true, false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::metadata::Orientation;
    use image::{DynamicImage, RgbImage};

    /// Applies `t` by its definition (stored pixel lookup per upright pixel).
    fn apply(t: Transform, img: &RgbImage) -> RgbImage {
        let (ws, hs) = (img.width() as usize, img.height() as usize);
        let (w, h) = t.upright_size((ws, hs));
        RgbImage::from_fn(w as u32, h as u32, |u, v| {
            let (a, b) = if t.swap { (v, u) } else { (u, v) };
            let x = if t.flip_x { ws as u32 - 1 - a } else { a };
            let y = if t.flip_y { hs as u32 - 1 - b } else { b };
            *img.get_pixel(x, y)
        })
    }

    fn sample() -> RgbImage {
        RgbImage::from_fn(5, 3, |x, y| {
            image::Rgb([x as u8, y as u8, (x * 10 + y) as u8])
        })
    }

    const ALL: [Orientation; 8] = [
        Orientation::NoTransforms,
        Orientation::Rotate90,
        Orientation::Rotate180,
        Orientation::Rotate270,
        Orientation::FlipHorizontal,
        Orientation::FlipVertical,
        Orientation::Rotate90FlipH,
        Orientation::Rotate270FlipH,
    ];

    #[test]
    fn exif_transforms_match_image_crate_apply_orientation() {
        let img = sample();
        for o in ALL {
            let mut expected = DynamicImage::ImageRgb8(img.clone());
            expected.apply_orientation(o);
            assert_eq!(
                apply(Transform::from_exif(o), &img),
                expected.to_rgb8(),
                "{o:?}"
            );
        }
    }

    #[test]
    fn rotations_are_clockwise_like_image_crate_rotate() {
        let img = sample();
        let d = DynamicImage::ImageRgb8(img.clone());
        assert_eq!(apply(Rotation::R90.into(), &img), d.rotate90().to_rgb8());
        assert_eq!(apply(Rotation::R180.into(), &img), d.rotate180().to_rgb8());
        assert_eq!(apply(Rotation::R270.into(), &img), d.rotate270().to_rgb8());
    }

    #[test]
    fn composition_equals_applying_one_after_the_other() {
        let img = sample();
        for o in ALL {
            for r in [Rotation::R0, Rotation::R90, Rotation::R180, Rotation::R270] {
                for o2 in ALL {
                    let first = Transform::from_exif(o);
                    let second = Transform::from_exif(o2).then(r.into());
                    let step = apply(second, &apply(first, &img));
                    assert_eq!(apply(first.then(second), &img), step, "{o:?} {r:?} {o2:?}");
                }
            }
        }
    }
}
