//! One episode: a scene, a seed and a perception run through the loop
//! observe → select → track → act → grade → record.

pub mod frames;
pub mod grade;
pub mod record;
pub mod run;
pub mod session;
mod trace;
pub mod visuals;

pub use frames::RecordedFrame;
pub use grade::{FailureKind, Outcome};
pub use record::{EvidenceRow, EvidenceWriter, SweepTag};
pub use run::{CaptureRequest, EpisodeRun, EpisodeSpec};
pub use session::SceneSession;
