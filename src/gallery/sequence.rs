//! Choice of the recorded frames the gallery shows: the decision frame, and the frames of the
//! GIF with their display times.

use tracing::info;

use crate::episode::record::EvidenceRow;
use crate::episode::RecordedFrame;

/// Maximum number of frames in one GIF; longer episodes are subsampled evenly. A 20 s episode
/// at 10 Hz keeps about every second frame, and its GIF is about 5 MB.
pub const GIF_MAX_FRAMES: usize = 100;
/// How long the last frame stays on screen before the GIF loops, in milliseconds.
pub const LAST_FRAME_HOLD_MS: u32 = 2000;
/// Shortest frame delay: two of the hundredths of a second in which GIF stores delays.
/// NOTE: many GIF viewers are reported to slow shorter delays to 100 ms. This was not checked
/// here.
pub const MIN_DELAY_MS: u32 = 20;

/// Returns the index of the frame whose step is the decision's step. When the row has no
/// decision, or no frame has its step, this is the first frame with candidates, and failing
/// that the first frame.
pub fn decision_frame_index(frames: &[RecordedFrame], row: &EvidenceRow) -> usize {
    if let Some(decision) = &row.decision {
        if let Some(index) = frames.iter().position(|f| f.step == decision.step) {
            return index;
        }
        info!(step = decision.step, "no recorded frame has the decision's step; showing the first frame with candidates");
    }
    // Episodes without a decision, or with frames recorded after it, still get a decision
    // image: the first selection attempt shows which candidates perception had.
    match frames.iter().position(|f| !f.candidates.is_empty()) {
        Some(index) => index,
        None => {
            info!("no recorded frame has candidates; showing the first frame as the decision");
            0
        }
    }
}

/// Picks at most `max` of `count` frame indices, evenly spaced, always keeping the first, the
/// last and `keep`. Returns every index when `count <= max`. `max` must be at least 3.
pub fn gif_frame_indices(count: usize, keep: usize, max: usize) -> Vec<usize> {
    assert!(max >= 3, "a GIF needs room for the first, the decision and the last frame, got max {max}");
    if count <= max {
        return (0..count).collect();
    }
    let mut indices: Vec<usize> = (0..max)
        .map(|i| (i as f64 * (count - 1) as f64 / (max - 1) as f64).round() as usize)
        .collect();
    if keep < count && !indices.contains(&keep) {
        // Replaces the nearest inner index so that the count and the even spacing elsewhere hold.
        let nearest = (1..max - 1)
            .min_by_key(|&slot| indices[slot].abs_diff(keep))
            .expect("max >= 3 leaves an inner slot");
        indices[nearest] = keep;
        indices.sort_unstable();
    }
    indices
}

/// Display time of each picked frame: the simulated time until the next picked frame, so that
/// the GIF plays in real time, and [`LAST_FRAME_HOLD_MS`] for the last one. Delays are at least
/// [`MIN_DELAY_MS`].
pub fn gif_delays_ms(frames: &[RecordedFrame], indices: &[usize]) -> Vec<u32> {
    let mut delays: Vec<u32> = indices
        .windows(2)
        .map(|pair| {
            let gap_s = frames[pair[1]].time_s - frames[pair[0]].time_s;
            ((gap_s * 1000.0).round() as u32).max(MIN_DELAY_MS)
        })
        .collect();
    if !indices.is_empty() {
        delays.push(LAST_FRAME_HOLD_MS);
    }
    delays
}
