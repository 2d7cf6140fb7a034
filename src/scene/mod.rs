//! Scene files: the schema, loading with source positions, validation and per-episode layout.

pub mod layout;
pub mod schema;
pub mod shape;

pub use layout::{Layout, PlacedObject};
pub use schema::*;
