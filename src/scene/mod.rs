//! Scene files: the schema, loading with source positions, validation and per-episode layout.

pub mod diagnostic;
pub mod layout;
pub mod load;
pub mod locate;
mod parse_error;
pub mod schema;
pub mod shape;
pub mod validate;

pub use diagnostic::Diagnostic;
pub use layout::{Layout, PlacedObject};
pub use load::{LoadedScene, SceneError, load_scene, parse_scene};
pub use schema::*;
pub use validate::{ReachLimits, ValidationContext, check_file, validate};
