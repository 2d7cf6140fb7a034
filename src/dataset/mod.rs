//! Training data for sim-trained image-text and dense-feature encoders: random scenes rendered
//! from two views, with object crops, captions and pixel correspondences.
//!
//! `docs/dataset.md` describes the files that [`write_dataset`] produces.

pub mod attributes;
pub mod batch;
pub mod caption;
pub mod correspond;
pub mod generate;
pub mod look;
pub mod supports;
pub mod views;
pub mod write;

pub use attributes::{DEFAULT_HELD_OUT, HeldOut, ObjectAttributes, parse_held_out};
pub use correspond::{Correspondence, correspondences};
pub use generate::{GeneratedScene, GeneratorConfig, Split, generate_scene};
pub use write::{Counts, DatasetConfig, DatasetReport, write_dataset};
