//! Sensor axes, applied to each perception frame after rendering: RGB noise, depth noise,
//! depth dropout and the passing occluder.

use anyhow::{bail, ensure};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};

use super::occluder::Occluder;
use crate::observe::Frame;

/// Smallest depth that depth noise leaves, metres, so that noise never yields a depth at or
/// behind the lens.
pub const MIN_NOISY_DEPTH_M: f32 = 0.001;
const MILLIMETRES_PER_METRE: f32 = 1000.0;

/// Random streams of the effects, so that turning one effect on leaves the draws of the others
/// as they were.
const PIXEL_NOISE_STREAM: u64 = 1;
const DEPTH_NOISE_STREAM: u64 = 2;
const DROPOUT_STREAM: u64 = 3;

/// Changes applied to every perception frame of an episode after rendering and before
/// perception receives it (sensor noise, a passing occluder). Empty by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FrameEffects {
    /// Standard deviation of Gaussian noise on each RGB channel, 8-bit levels.
    pub pixel_noise_levels: f32,
    /// Standard deviation of Gaussian noise on finite depths, millimetres.
    pub depth_noise_mm: f32,
    /// Probability that a pixel's depth becomes invalid (infinite), per pixel and frame.
    pub depth_dropout_share: f32,
    pub occluder: Option<Occluder>,
}

impl FrameEffects {
    pub fn is_empty(&self) -> bool {
        self == &FrameEffects::default()
    }

    /// Adds independent pixel noise: standard deviations add in quadrature.
    pub fn add_pixel_noise(&mut self, levels: f64) -> anyhow::Result<()> {
        self.pixel_noise_levels = self.pixel_noise_levels.hypot(levels as f32);
        Ok(())
    }

    /// Adds independent depth noise: standard deviations add in quadrature.
    pub fn add_depth_noise(&mut self, millimetres: f64) -> anyhow::Result<()> {
        self.depth_noise_mm = self.depth_noise_mm.hypot(millimetres as f32);
        Ok(())
    }

    /// Adds independent dropout: a pixel survives only if it survives both.
    pub fn add_depth_dropout(&mut self, share: f64) -> anyhow::Result<()> {
        ensure!(
            share <= 1.0,
            "dropout share {share} is above 1; use a share of pixels in 0..=1"
        );
        self.depth_dropout_share = 1.0 - (1.0 - self.depth_dropout_share) * (1.0 - share as f32);
        Ok(())
    }

    pub fn set_occluder(&mut self, width_share: f64) -> anyhow::Result<()> {
        ensure!(
            width_share <= 1.0,
            "occluder width {width_share} is above 1; use a share of the image width in 0..=1"
        );
        if let Some(existing) = self.occluder {
            bail!(
                "an occluder {} image widths wide is already set; give the occluder axis once",
                existing.width_share
            );
        }
        self.occluder = Some(Occluder {
            width_share: width_share as f32,
        });
        Ok(())
    }

    /// Applies every effect to `frame`; noise is drawn from a stream seeded by the episode seed
    /// and the frame's step, so an episode repeats exactly. The occluder comes first, so that
    /// sensor noise also falls on the board.
    pub fn apply(&self, frame: &mut Frame, episode_seed: u64) {
        if let Some(occluder) = &self.occluder {
            occluder.apply(frame);
        }
        if self.pixel_noise_levels > 0.0 {
            add_pixel_noise(
                frame,
                self.pixel_noise_levels,
                &mut frame_rng(episode_seed, frame.step, PIXEL_NOISE_STREAM),
            );
        }
        if self.depth_noise_mm > 0.0 {
            add_depth_noise(
                frame,
                self.depth_noise_mm,
                &mut frame_rng(episode_seed, frame.step, DEPTH_NOISE_STREAM),
            );
        }
        if self.depth_dropout_share > 0.0 {
            drop_depth(
                frame,
                self.depth_dropout_share,
                &mut frame_rng(episode_seed, frame.step, DROPOUT_STREAM),
            );
        }
    }
}

/// Returns a generator for one effect on one frame.
fn frame_rng(episode_seed: u64, step: u64, stream: u64) -> ChaCha8Rng {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&episode_seed.to_le_bytes());
    seed[8..16].copy_from_slice(&step.to_le_bytes());
    let mut rng = ChaCha8Rng::from_seed(seed);
    rng.set_stream(stream);
    rng
}

/// Adds Gaussian noise to every channel, rounding and clamping to 0..=255. Clamping biases
/// the mean of channels near 0 or 255.
fn add_pixel_noise(frame: &mut Frame, sigma_levels: f32, rng: &mut ChaCha8Rng) {
    let normal = Normal::new(0.0, sigma_levels).expect("sigma is finite and positive");
    for channel in frame.rgb.iter_mut() {
        let noisy = f32::from(*channel) + normal.sample(rng);
        *channel = noisy.round().clamp(0.0, 255.0) as u8;
    }
}

fn add_depth_noise(frame: &mut Frame, sigma_mm: f32, rng: &mut ChaCha8Rng) {
    let normal =
        Normal::new(0.0, sigma_mm / MILLIMETRES_PER_METRE).expect("sigma is finite and positive");
    for depth in frame.depth.data.iter_mut().filter(|d| d.is_finite()) {
        *depth = (*depth + normal.sample(rng)).max(MIN_NOISY_DEPTH_M);
    }
}

fn drop_depth(frame: &mut Frame, share: f32, rng: &mut ChaCha8Rng) {
    let probability = f64::from(share.clamp(0.0, 1.0));
    for depth in &mut frame.depth.data {
        if rng.random_bool(probability) {
            *depth = f32::INFINITY;
        }
    }
}
