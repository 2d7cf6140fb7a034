//! Perturb: controlled changes to a scene, its instruction and its sensor frames, each along a
//! named axis with a magnitude in that axis's unit.

use crate::observe::Frame;

/// Changes applied to every perception frame of an episode after rendering and before
/// perception sees it (sensor noise, a passing occluder). Empty by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameEffects {}

impl FrameEffects {
    pub fn is_empty(&self) -> bool {
        true
    }

    /// Applies every effect to `frame`; noise is drawn from a stream seeded by the episode seed
    /// and the frame's step, so an episode repeats exactly.
    pub fn apply(&self, _frame: &mut Frame, _episode_seed: u64) {}
}
