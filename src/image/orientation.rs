//! Rotations and EXIF orientations.

use crate::error::{Error, Result};

/// A clockwise rotation by a multiple of 90 degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Rotation {
    /// No rotation.
    #[default]
    R0,
    /// 90 degrees clockwise.
    R90,
    /// 180 degrees.
    R180,
    /// 270 degrees clockwise (90 counter-clockwise).
    R270,
}

impl Rotation {
    /// Rotation from degrees; any multiple of 90 (negative too) is accepted.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] when `degrees` is not a multiple of 90.
    ///
    /// # Examples
    /// ```
    /// use lesionscan::Rotation;
    /// assert_eq!(Rotation::from_degrees(-90).unwrap(), Rotation::R270);
    /// assert!(Rotation::from_degrees(45).is_err());
    /// ```
    pub fn from_degrees(degrees: i32) -> Result<Self> {
        match degrees.rem_euclid(360) {
            0 => Ok(Self::R0),
            90 => Ok(Self::R90),
            180 => Ok(Self::R180),
            270 => Ok(Self::R270),
            _ => Err(Error::argument(format!("rotation must be a multiple of 90 degrees, got {degrees}"))),
        }
    }

    /// The rotation in degrees: 0, 90, 180 or 270.
    pub fn degrees(self) -> u32 {
        match self {
            Self::R0 => 0,
            Self::R90 => 90,
            Self::R180 => 180,
            Self::R270 => 270,
        }
    }

    /// `self` followed by `next`.
    #[must_use]
    pub fn then(self, next: Rotation) -> Rotation {
        match (self.degrees() + next.degrees()) % 360 {
            90 => Self::R90,
            180 => Self::R180,
            270 => Self::R270,
            _ => Self::R0,
        }
    }
}
