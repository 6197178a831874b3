//! Patient information some models take beside the picture, and its encoding.

use crate::error::{Error, Result};
use crate::model::MetadataSpec;

/// Optional facts about the patient. Models without a metadata input ignore them;
/// models with one encode absent values the way they were trained to (see the card's
/// `metadata_input`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PatientInfo {
    /// Age in years (0..=120).
    pub age: Option<u8>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Where on the body the lesion is.
    pub site: Option<BodySite>,
}

/// Sex, as recorded in HAM10000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
}

impl Sex {
    /// The HAM10000 spelling: `female` or `male`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
        }
    }
}

impl std::str::FromStr for Sex {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "female" | "f" => Ok(Self::Female),
            "male" | "m" => Ok(Self::Male),
            _ => Err(Error::argument(format!(
                "sex must be female or male, got {s:?}"
            ))),
        }
    }
}

/// Body site, in the HAM10000 `localization` vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum BodySite {
    Abdomen,
    Acral,
    Back,
    Chest,
    Ear,
    Face,
    Foot,
    Genital,
    Hand,
    LowerExtremity,
    Neck,
    Scalp,
    Trunk,
    UpperExtremity,
    /// Recorded as unknown; encoded like an absent site.
    Unknown,
}

impl BodySite {
    /// Every site, in alphabetical order of its HAM10000 name.
    pub const ALL: [BodySite; 15] = [
        Self::Abdomen,
        Self::Acral,
        Self::Back,
        Self::Chest,
        Self::Ear,
        Self::Face,
        Self::Foot,
        Self::Genital,
        Self::Hand,
        Self::LowerExtremity,
        Self::Neck,
        Self::Scalp,
        Self::Trunk,
        Self::UpperExtremity,
        Self::Unknown,
    ];

    /// The HAM10000 spelling (`"lower extremity"`, `"back"`, …), as model cards use it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Abdomen => "abdomen",
            Self::Acral => "acral",
            Self::Back => "back",
            Self::Chest => "chest",
            Self::Ear => "ear",
            Self::Face => "face",
            Self::Foot => "foot",
            Self::Genital => "genital",
            Self::Hand => "hand",
            Self::LowerExtremity => "lower extremity",
            Self::Neck => "neck",
            Self::Scalp => "scalp",
            Self::Trunk => "trunk",
            Self::UpperExtremity => "upper extremity",
            Self::Unknown => "unknown",
        }
    }
}

impl std::str::FromStr for BodySite {
    type Err = Error;
    /// Accepts the HAM10000 spelling with spaces, `_` or `-` between words.
    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        Self::ALL
            .into_iter()
            .find(|site| site.as_str() == wanted)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
                Error::argument(format!(
                    "unknown body site {s:?}; expected one of: {}",
                    names.join(", ")
                ))
            })
    }
}

/// Writes `patient` into a metadata vector as `spec` describes.
pub(crate) fn encode(patient: Option<&PatientInfo>, spec: &MetadataSpec) -> Result<Vec<f32>> {
    let empty = PatientInfo::default();
    let patient = patient.unwrap_or(&empty);
    let mut values = vec![0f32; spec.length];
    if let Some(one_hot) = &spec.sex {
        let index = patient
            .sex
            .and_then(|s| one_hot.indices.get(s.as_str()).copied())
            .or(one_hot.missing);
        if let Some(i) = index {
            values[i] = 1.0;
        }
    }
    if let Some(one_hot) = &spec.site {
        let index = patient
            .site
            .and_then(|s| one_hot.indices.get(s.as_str()).copied())
            .or(one_hot.missing);
        if let Some(i) = index {
            values[i] = 1.0;
        }
    }
    if let Some(age) = &spec.age {
        match patient.age {
            Some(years) if years > 120 => {
                return Err(Error::argument(format!(
                    "age must be within 0..=120 years, got {years}"
                )));
            }
            Some(years) => values[age.index] = f32::from(years) / age.divide_by,
            None => {
                values[age.index] = age.missing_value;
                if let Some(flag) = age.missing_flag_index {
                    values[flag] = 1.0;
                }
            }
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AgeEncoding, OneHot};

    fn spec() -> MetadataSpec {
        let site = [("back", 6), ("trunk", 6), ("face", 4)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        MetadataSpec {
            length: 10,
            sex: Some(OneHot {
                indices: [("female".to_string(), 0), ("male".to_string(), 1)]
                    .into_iter()
                    .collect(),
                missing: Some(2),
            }),
            site: Some(OneHot {
                indices: site,
                missing: Some(7),
            }),
            age: Some(AgeEncoding {
                index: 8,
                divide_by: 90.0,
                missing_value: 0.5,
                missing_flag_index: Some(9),
            }),
        }
    }

    #[test]
    fn known_values_are_one_hot_and_age_is_scaled() {
        let patient = PatientInfo {
            age: Some(45),
            sex: Some(Sex::Male),
            site: Some(BodySite::Back),
        };
        let v = encode(Some(&patient), &spec()).expect("encodes");
        assert_eq!(v, vec![0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.5, 0.0]);
    }

    #[test]
    fn absent_and_unmapped_values_use_the_missing_encoding() {
        let v = encode(None, &spec()).expect("encodes");
        assert_eq!(v, vec![0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.5, 1.0]);
        let unmapped = PatientInfo {
            site: Some(BodySite::Unknown),
            ..Default::default()
        };
        assert_eq!(encode(Some(&unmapped), &spec()).expect("encodes")[7], 1.0);
    }

    #[test]
    fn impossible_age_is_an_argument_error() {
        let patient = PatientInfo {
            age: Some(200),
            ..Default::default()
        };
        assert!(matches!(
            encode(Some(&patient), &spec()),
            Err(Error::InvalidArgument { .. })
        ));
    }

    #[test]
    fn body_sites_parse_in_any_word_separator() {
        assert_eq!(
            "lower_extremity".parse::<BodySite>().expect("parses"),
            BodySite::LowerExtremity
        );
        assert_eq!(
            "Upper-Extremity".parse::<BodySite>().expect("parses"),
            BodySite::UpperExtremity
        );
        assert!("elbow".parse::<BodySite>().is_err());
    }
}
