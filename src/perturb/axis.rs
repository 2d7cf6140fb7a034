//! The perturbation axes: names, units and what a magnitude means on each.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One named direction in which a scene, its instruction or its frames can be changed.
/// A magnitude of 0 leaves the episode unchanged on every axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Axis {
    CameraAzimuth,
    CameraElevation,
    CameraDistance,
    CameraSpeed,
    LightIntensity,
    LightTemperature,
    LightDirection,
    ExtraLights,
    Distractors,
    DistractorsSameColour,
    DistractorsSameShape,
    PromptParaphrase,
    PromptSynonym,
    PromptCase,
    PromptTypos,
    ObjectHue,
    ObjectTexture,
    TableTexture,
    Background,
    LayoutJitter,
    PixelNoise,
    DepthNoise,
    DepthDropout,
    Occluder,
    ArmStart,
}

/// Whether an axis changes the scene file or only the frames perception receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The scene (geometry, lights, cameras, instruction, robot start): can be written as RON.
    Scene,
    /// Image-space changes to each perception frame after rendering.
    Frames,
}

impl Axis {
    pub const ALL: &'static [Axis] = &[
        Axis::CameraAzimuth,
        Axis::CameraElevation,
        Axis::CameraDistance,
        Axis::CameraSpeed,
        Axis::LightIntensity,
        Axis::LightTemperature,
        Axis::LightDirection,
        Axis::ExtraLights,
        Axis::Distractors,
        Axis::DistractorsSameColour,
        Axis::DistractorsSameShape,
        Axis::PromptParaphrase,
        Axis::PromptSynonym,
        Axis::PromptCase,
        Axis::PromptTypos,
        Axis::ObjectHue,
        Axis::ObjectTexture,
        Axis::TableTexture,
        Axis::Background,
        Axis::LayoutJitter,
        Axis::PixelNoise,
        Axis::DepthNoise,
        Axis::DepthDropout,
        Axis::Occluder,
        Axis::ArmStart,
    ];

    /// Returns the snake_case name, the same as the serde name.
    pub fn name(self) -> &'static str {
        match self {
            Axis::CameraAzimuth => "camera_azimuth",
            Axis::CameraElevation => "camera_elevation",
            Axis::CameraDistance => "camera_distance",
            Axis::CameraSpeed => "camera_speed",
            Axis::LightIntensity => "light_intensity",
            Axis::LightTemperature => "light_temperature",
            Axis::LightDirection => "light_direction",
            Axis::ExtraLights => "extra_lights",
            Axis::Distractors => "distractors",
            Axis::DistractorsSameColour => "distractors_same_colour",
            Axis::DistractorsSameShape => "distractors_same_shape",
            Axis::PromptParaphrase => "prompt_paraphrase",
            Axis::PromptSynonym => "prompt_synonym",
            Axis::PromptCase => "prompt_case",
            Axis::PromptTypos => "prompt_typos",
            Axis::ObjectHue => "object_hue",
            Axis::ObjectTexture => "object_texture",
            Axis::TableTexture => "table_texture",
            Axis::Background => "background",
            Axis::LayoutJitter => "layout_jitter",
            Axis::PixelNoise => "pixel_noise",
            Axis::DepthNoise => "depth_noise",
            Axis::DepthDropout => "depth_dropout",
            Axis::Occluder => "occluder",
            Axis::ArmStart => "arm_start",
        }
    }

    /// Returns the unit of the magnitude.
    pub fn unit(self) -> &'static str {
        match self {
            Axis::CameraAzimuth
            | Axis::CameraElevation
            | Axis::LightDirection
            | Axis::ObjectHue => "deg",
            Axis::CameraDistance | Axis::LayoutJitter => "m",
            Axis::CameraSpeed => "deg/s",
            Axis::LightIntensity => "EV",
            Axis::LightTemperature => "K",
            Axis::ExtraLights
            | Axis::Distractors
            | Axis::DistractorsSameColour
            | Axis::DistractorsSameShape
            | Axis::PromptSynonym
            | Axis::PromptTypos => "count",
            Axis::PromptParaphrase | Axis::PromptCase | Axis::TableTexture => "level",
            Axis::ObjectTexture | Axis::Background | Axis::DepthDropout | Axis::Occluder => "share",
            Axis::PixelNoise => "levels",
            Axis::DepthNoise => "mm",
            Axis::ArmStart => "rad",
        }
    }

    /// Returns one sentence on what magnitude m does.
    pub fn description(self) -> &'static str {
        match self {
            Axis::CameraAzimuth => {
                "Rotates the view camera's eye by m degrees about the vertical axis through its look-at point."
            }
            Axis::CameraElevation => {
                "Raises the view camera's elevation angle above its look-at point by m degrees, kept within 5..85 degrees."
            }
            Axis::CameraDistance => {
                "Moves the view camera's eye m metres along its viewing ray, away from the look-at point when positive."
            }
            Axis::CameraSpeed => {
                "Makes the view camera orbit its look-at point at m degrees per second more than before."
            }
            Axis::LightIntensity => {
                "Multiplies every light's intensity by 2^-m, so positive m darkens the scene by m exposure stops."
            }
            Axis::LightTemperature => {
                "Tints every light with the black-body colour of 6500 + m kelvin relative to 6500 K white."
            }
            Axis::LightDirection => {
                "Rotates every directional light's direction by m degrees about the vertical axis."
            }
            Axis::ExtraLights => {
                "Adds m point lights of seeded colour and position around the target."
            }
            Axis::Distractors => {
                "Adds m objects of seeded shape and colour, never the target's shape in the target's colour."
            }
            Axis::DistractorsSameColour => {
                "Adds m objects in the target's colour with shapes other than the target's."
            }
            Axis::DistractorsSameShape => {
                "Adds m objects with the target's shape and size in colours other than the target's."
            }
            Axis::PromptParaphrase => {
                "Rewords the instruction with paraphrase frame number m around the same object phrase."
            }
            Axis::PromptSynonym => "Replaces m words of the object phrase with synonyms.",
            Axis::PromptCase => {
                "Changes the instruction's letter case: 1 Title Case, 2 UPPER CASE, 3 seeded random case."
            }
            Axis::PromptTypos => {
                "Replaces m seeded letters of the object phrase with neighbouring keys on a QWERTY keyboard."
            }
            Axis::ObjectHue => "Rotates the hue of every object's colour by m degrees.",
            Axis::ObjectTexture => {
                "Gives a seeded share m of the objects a shipped texture multiplied by their colour."
            }
            Axis::TableTexture => "Replaces every support's material with variant number m.",
            Axis::Background => {
                "Blends the background colour by share m towards a seeded colour of contrasting brightness."
            }
            Axis::LayoutJitter => {
                "Adds m metres to the half-width of every object's uniform position jitter along X and Y."
            }
            Axis::PixelNoise => {
                "Adds Gaussian noise with standard deviation m 8-bit levels to each RGB channel (image-space)."
            }
            Axis::DepthNoise => {
                "Adds Gaussian noise with standard deviation m millimetres to every finite depth (image-space)."
            }
            Axis::DepthDropout => {
                "Marks a seeded share m of the depth pixels invalid (infinite depth) on each frame (image-space)."
            }
            Axis::Occluder => {
                "Passes a grey board m image widths wide across the image early in the episode (image-space)."
            }
            Axis::ArmStart => {
                "Adds m radians with a seeded sign to each start joint of the arm, clamped into the joint limits."
            }
        }
    }

    /// Returns whether magnitudes are whole numbers (counts and levels).
    pub fn is_integer(self) -> bool {
        matches!(self.unit(), "count" | "level")
    }

    /// Returns whether negative magnitudes have a meaning. On the other axes a negative
    /// magnitude is rejected.
    pub fn is_signed(self) -> bool {
        matches!(
            self,
            Axis::CameraAzimuth
                | Axis::CameraElevation
                | Axis::CameraDistance
                | Axis::CameraSpeed
                | Axis::LightIntensity
                | Axis::LightTemperature
                | Axis::LightDirection
                | Axis::ObjectHue
        )
    }

    /// Returns what the axis changes.
    pub fn target(self) -> Target {
        match self {
            Axis::PixelNoise | Axis::DepthNoise | Axis::DepthDropout | Axis::Occluder => {
                Target::Frames
            }
            _ => Target::Scene,
        }
    }
}

impl fmt::Display for Axis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not one of [`Axis::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown perturbation axis {name:?}; valid axes: {}", valid_names())]
pub struct UnknownAxis {
    pub name: String,
}

fn valid_names() -> String {
    Axis::ALL
        .iter()
        .map(|axis| axis.name())
        .collect::<Vec<_>>()
        .join(", ")
}

impl FromStr for Axis {
    type Err = UnknownAxis;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Axis::ALL
            .iter()
            .copied()
            .find(|axis| axis.name() == name)
            .ok_or_else(|| UnknownAxis {
                name: name.to_owned(),
            })
    }
}
