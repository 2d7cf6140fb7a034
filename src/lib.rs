//! pickloop: a simulation-in-the-loop pick benchmark for robot perception.
//!
//! One episode runs the loop observe → select → track → act → grade → record. A scene
//! ([`scene`]) is rendered from its cameras ([`observe`]). Perception chooses and follows the
//! instructed object ([`perception`]), and a simulated arm picks it ([`act`], [`sim`]). The
//! episode is then graded and written as an evidence row ([`episode`]).

pub mod act;
pub mod dataset;
pub mod episode;
pub mod gallery;
pub mod perception;
pub mod observe;
pub mod perturb;
pub mod report;
pub mod scene;
pub mod sim;
pub mod sweep;
pub mod train;
