//! The attribute space of generated objects: shape, colour, size and material, with the words
//! that captions use for each value.

use serde::Serialize;

use crate::scene::{Rgb, Shape};

/// Object shapes, one per `scene::Shape` variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeKind {
    Box,
    Can,
    Mug,
    Bowl,
    Ball,
    Bottle,
    Bin,
}

impl ShapeKind {
    pub const ALL: [ShapeKind; 7] = [
        ShapeKind::Box,
        ShapeKind::Can,
        ShapeKind::Mug,
        ShapeKind::Bowl,
        ShapeKind::Ball,
        ShapeKind::Bottle,
        ShapeKind::Bin,
    ];

    /// Canonical name, as written in `crops.jsonl` and accepted by `--held-out`.
    pub fn name(self) -> &'static str {
        self.nouns()[0]
    }

    /// Nouns captions use for the shape, canonical name first.
    pub fn nouns(self) -> &'static [&'static str] {
        match self {
            ShapeKind::Box => &["box", "carton"],
            ShapeKind::Can => &["can", "tin"],
            ShapeKind::Mug => &["mug", "cup"],
            ShapeKind::Bowl => &["bowl"],
            ShapeKind::Ball => &["ball", "sphere"],
            ShapeKind::Bottle => &["bottle"],
            ShapeKind::Bin => &["bin", "tray"],
        }
    }

    pub fn from_name(name: &str) -> Option<ShapeKind> {
        Self::ALL.into_iter().find(|shape| shape.name() == name)
    }

    /// Builds the scene shape at this kind's typical size times `scale`, metres.
    pub fn scene_shape(self, scale: f32) -> Shape {
        let s = scale;
        match self {
            ShapeKind::Box => Shape::Box {
                size: [0.07 * s, 0.06 * s, 0.09 * s],
            },
            ShapeKind::Can => Shape::Cylinder {
                radius: 0.033 * s,
                height: 0.12 * s,
            },
            ShapeKind::Mug => Shape::Mug {
                radius: 0.04 * s,
                height: 0.1 * s,
            },
            ShapeKind::Bowl => Shape::Bowl {
                radius: 0.075 * s,
                height: 0.05 * s,
            },
            ShapeKind::Ball => Shape::Ball { radius: 0.035 * s },
            ShapeKind::Bottle => Shape::Bottle {
                radius: 0.033 * s,
                height: 0.2 * s,
            },
            ShapeKind::Bin => Shape::Bin {
                size: [0.2 * s, 0.15 * s, 0.08 * s],
                wall: 0.008 * s,
            },
        }
    }
}

/// A named colour and its nominal sRGB value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NamedColour {
    pub name: &'static str,
    pub srgb: Rgb,
}

/// Colours objects are drawn from. Each object's colour is jittered around the nominal value
/// by at most [`COLOUR_JITTER`] per channel.
pub const COLOURS: [NamedColour; 11] = [
    NamedColour {
        name: "red",
        srgb: [0.8, 0.1, 0.08],
    },
    NamedColour {
        name: "green",
        srgb: [0.2, 0.6, 0.25],
    },
    NamedColour {
        name: "blue",
        srgb: [0.12, 0.25, 0.8],
    },
    NamedColour {
        name: "yellow",
        srgb: [0.9, 0.8, 0.1],
    },
    NamedColour {
        name: "orange",
        srgb: [0.95, 0.45, 0.08],
    },
    NamedColour {
        name: "purple",
        srgb: [0.5, 0.2, 0.65],
    },
    NamedColour {
        name: "white",
        srgb: [0.92, 0.92, 0.9],
    },
    NamedColour {
        name: "black",
        srgb: [0.06, 0.06, 0.07],
    },
    NamedColour {
        name: "grey",
        srgb: [0.5, 0.5, 0.52],
    },
    NamedColour {
        name: "brown",
        srgb: [0.45, 0.28, 0.14],
    },
    NamedColour {
        name: "pink",
        srgb: [0.95, 0.55, 0.7],
    },
];

/// Half-width of the uniform per-channel jitter added to a named colour, sRGB units.
pub const COLOUR_JITTER: f32 = 0.05;

pub fn colour_by_name(name: &str) -> Option<&'static NamedColour> {
    COLOURS.iter().find(|colour| colour.name == name)
}

/// Size class of an object relative to its shape's typical dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SizeClass {
    Small,
    Large,
}

impl SizeClass {
    pub const ALL: [SizeClass; 2] = [SizeClass::Small, SizeClass::Large];

    pub fn name(self) -> &'static str {
        match self {
            SizeClass::Small => "small",
            SizeClass::Large => "large",
        }
    }

    /// Nominal scale applied to the shape's typical dimensions.
    pub fn scale(self) -> f32 {
        match self {
            SizeClass::Small => 0.7,
            SizeClass::Large => 1.3,
        }
    }
}

/// Surface finish of an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Finish {
    /// Rough dielectric.
    Matte,
    /// Smooth dielectric.
    Shiny,
    /// Metal.
    Metallic,
    /// The cardboard texture; boxes only.
    Cardboard,
}

impl Finish {
    pub fn name(self) -> &'static str {
        match self {
            Finish::Matte => "matte",
            Finish::Shiny => "shiny",
            Finish::Metallic => "metallic",
            Finish::Cardboard => "cardboard",
        }
    }

    /// Finishes an object of `shape` may have.
    pub fn choices(shape: ShapeKind) -> &'static [Finish] {
        match shape {
            ShapeKind::Box => &[
                Finish::Matte,
                Finish::Shiny,
                Finish::Metallic,
                Finish::Cardboard,
            ],
            _ => &[Finish::Matte, Finish::Shiny, Finish::Metallic],
        }
    }
}

/// Support level of an object, as captions name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Placement {
    #[serde(rename = "table")]
    Table,
    #[serde(rename = "bottom shelf")]
    BottomShelf,
    #[serde(rename = "middle shelf")]
    MiddleShelf,
    #[serde(rename = "top shelf")]
    TopShelf,
}

impl Placement {
    pub const SHELVES: [Placement; 3] = [
        Placement::BottomShelf,
        Placement::MiddleShelf,
        Placement::TopShelf,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Placement::Table => "table",
            Placement::BottomShelf => "bottom shelf",
            Placement::MiddleShelf => "middle shelf",
            Placement::TopShelf => "top shelf",
        }
    }
}

/// Attributes of one generated object, as written to `crops.jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ObjectAttributes {
    pub shape: ShapeKind,
    #[serde(rename = "colour", serialize_with = "serialize_colour")]
    pub colour: &'static NamedColour,
    pub size: SizeClass,
    #[serde(rename = "material")]
    pub finish: Finish,
    #[serde(rename = "support")]
    pub placement: Placement,
}

fn serialize_colour<S: serde::Serializer>(
    colour: &&'static NamedColour,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(colour.name)
}

/// A colour and shape combination that train scenes never contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldOut {
    pub colour: &'static str,
    pub shape: ShapeKind,
}

impl HeldOut {
    pub fn matches(&self, attributes: &ObjectAttributes) -> bool {
        attributes.colour.name == self.colour && attributes.shape == self.shape
    }
}

/// Held-out combinations used when `--held-out` is not given.
pub const DEFAULT_HELD_OUT: &str = "purple can,orange mug,pink box,white bottle,brown ball";

/// Parses a comma-separated list of "COLOUR SHAPE" pairs such as "purple can,orange mug".
pub fn parse_held_out(text: &str) -> Result<Vec<HeldOut>, String> {
    let mut held_out = Vec::new();
    for item in text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let words: Vec<&str> = item.split_whitespace().collect();
        let [colour, shape] = words[..] else {
            return Err(format!(
                "invalid held-out combination {item:?}; write COLOUR SHAPE such as \"purple can\""
            ));
        };
        let colour = colour_by_name(colour).ok_or_else(|| {
            let names: Vec<&str> = COLOURS.iter().map(|c| c.name).collect();
            format!(
                "unknown colour {colour:?} in {item:?}; use one of {}",
                names.join(", ")
            )
        })?;
        let shape = ShapeKind::from_name(shape).ok_or_else(|| {
            let names: Vec<&str> = ShapeKind::ALL.iter().map(|s| s.name()).collect();
            format!(
                "unknown shape {shape:?} in {item:?}; use one of {}",
                names.join(", ")
            )
        })?;
        let combination = HeldOut {
            colour: colour.name,
            shape,
        };
        if !held_out.contains(&combination) {
            held_out.push(combination);
        }
    }
    Ok(held_out)
}
