//! The failure gallery: each failed episode's frames with what perception saw and decided
//! drawn on them, as still images and an animated GIF. See docs/gallery.md for how to read them.

mod animate;
mod caption;
mod draw;
mod overlay;
mod palette;
mod sequence;
mod text;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{ensure, Context};
use image::RgbImage;
use tracing::info;

pub use animate::write_gif;
pub use overlay::{overlay, overlay_scale, OverlayContext};
pub use palette::{OTHER_COLOUR, TARGET_COLOUR};
pub use sequence::{decision_frame_index, gif_delays_ms, gif_frame_indices, GIF_MAX_FRAMES, LAST_FRAME_HOLD_MS};

use crate::episode::record::EvidenceRow;
use crate::episode::RecordedFrame;

/// Paths of the files [`write_episode`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryFiles {
    /// The first recorded frame.
    pub first: PathBuf,
    /// The frame of the episode's decision.
    pub decision: PathBuf,
    /// The last recorded frame.
    pub last: PathBuf,
    /// Every frame, or [`GIF_MAX_FRAMES`] of them, played in simulated time.
    pub gif: PathBuf,
}

/// Writes first.png, decision.png, last.png (all with overlays) and episode.gif into `dir`,
/// creating it if missing, for one episode; returns the paths.
pub fn write_episode(dir: &Path, frames: &[RecordedFrame], row: &EvidenceRow) -> anyhow::Result<GalleryFiles> {
    ensure!(
        !frames.is_empty(),
        "episode {} (seed {}) has no recorded frames: run it with record_frames set to write a gallery",
        row.episode,
        row.seed
    );
    let started = Instant::now();
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the gallery directory {}; pass a writable directory", dir.display()))?;

    let context = OverlayContext::from_row(row);
    let decision = decision_frame_index(frames, row);
    let indices = gif_frame_indices(frames.len(), decision, GIF_MAX_FRAMES);
    let images: Vec<RgbImage> = indices.iter().map(|&i| overlay(&frames[i], &context)).collect();
    let image_at = |frame: usize| &images[indices.binary_search(&frame).expect("the GIF keeps the first, decision and last frames")];

    let files = GalleryFiles {
        first: dir.join("first.png"),
        decision: dir.join("decision.png"),
        last: dir.join("last.png"),
        gif: dir.join("episode.gif"),
    };
    save_png(&files.first, image_at(0))?;
    save_png(&files.decision, image_at(decision))?;
    save_png(&files.last, image_at(frames.len() - 1))?;
    write_gif(&files.gif, &images, &gif_delays_ms(frames, &indices))?;

    info!(
        episode = row.episode,
        seed = row.seed,
        dir = %dir.display(),
        frames = frames.len(),
        gif_frames = images.len(),
        seconds = started.elapsed().as_secs_f32(),
        "wrote the episode gallery"
    );
    Ok(files)
}

fn save_png(path: &Path, image: &RgbImage) -> anyhow::Result<()> {
    image
        .save(path)
        .with_context(|| format!("cannot write {}; check that its folder is writable", path.display()))
}
