//! The `occluder` axis: a flat grey board that passes in front of the lens once.
//!
//! It is drawn in image space, after rendering: the board is not in the physics or render
//! world, casts no shadow and is not lit. It enters at the left image edge just before
//! perception starts and leaves at the right edge [`OCCLUDER_CROSSING_S`] later, so it is in
//! view when perception makes its first selection.

use crate::episode::run::SETTLE_TIME_S;
use crate::observe::Frame;
use crate::observe::frame::{BACKGROUND_ID, ROBOT_ID_BASE};

/// Time by which the board's entry precedes the first perception frame, seconds, so that
/// rounding in the simulated clock cannot leave that frame outside the window.
pub const OCCLUDER_LEAD_S: f32 = 0.05;
/// Simulated time when the board's left edge is at the left image edge, seconds: shortly
/// before the loop starts perceiving.
pub const OCCLUDER_START_S: f32 = SETTLE_TIME_S - OCCLUDER_LEAD_S;
/// Time the board takes to move from the left image edge to the right one, seconds.
pub const OCCLUDER_CROSSING_S: f32 = 2.0;
/// 8-bit sRGB grey of the board.
pub const OCCLUDER_GREY: u8 = 128;
/// Depth the board reports, metres: just in front of the lens.
pub const OCCLUDER_DEPTH_M: f32 = 0.1;

/// A board `width_share` image widths wide, moving left to right at a constant speed. While
/// it is in the time window it covers exactly `round(width_share × width)` columns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Occluder {
    pub width_share: f32,
}

impl Occluder {
    /// Returns the image columns `first..end` the board covers at `time_s`, or `None` outside
    /// its time window.
    pub fn columns(&self, width: u32, time_s: f32) -> Option<std::ops::Range<u32>> {
        let progress = (time_s - OCCLUDER_START_S) / OCCLUDER_CROSSING_S;
        if !(0.0..=1.0).contains(&progress) {
            return None;
        }
        let board = (self.width_share.clamp(0.0, 1.0) * width as f32).round() as u32;
        let first = (progress * (width - board) as f32).round() as u32;
        Some(first..first + board)
    }

    /// Paints the board into the frame: grey RGB, near depth and background ids. Robot pixels
    /// keep their ids, so the robot mask that perception receives is unchanged.
    pub fn apply(&self, frame: &mut Frame) {
        let Some(columns) = self.columns(frame.rgb.width(), frame.time_s) else {
            return;
        };
        let width = frame.rgb.width();
        for v in 0..frame.rgb.height() {
            for u in columns.clone() {
                frame.rgb.put_pixel(u, v, image::Rgb([OCCLUDER_GREY; 3]));
                let index = (v * width + u) as usize;
                frame.depth.data[index] = OCCLUDER_DEPTH_M;
                if frame.instances.data[index] < ROBOT_ID_BASE {
                    frame.instances.data[index] = BACKGROUND_ID;
                }
            }
        }
    }
}
