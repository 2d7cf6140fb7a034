//! Lights and background of a renderer batch, drawn from the dataset seed.

use bevy::math::Vec3;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::supports::random_srgb;
use crate::scene::{Light, Rgb};

/// Lights and background shared by every scene that one renderer draws.
#[derive(Debug, Clone, PartialEq)]
pub struct Look {
    pub background: Rgb,
    pub lights: Vec<Light>,
}

/// Draws the lights and background of one renderer batch.
pub fn sample_look(seed: u64, batch: usize) -> Look {
    // Streams above `u32::MAX` are never used by scenes, whose stream is their index.
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((1u64 << 32) + batch as u64);
    let azimuth = rng.random_range(0.0f32..360.0).to_radians();
    let elevation = rng
        .random_range(DIRECTIONAL_ELEVATION_DEG.0..=DIRECTIONAL_ELEVATION_DEG.1)
        .to_radians();
    let direction = -Vec3::new(
        elevation.cos() * azimuth.cos(),
        elevation.cos() * azimuth.sin(),
        elevation.sin(),
    );
    let mut lights = vec![Light::Directional {
        illuminance_lux: rng.random_range(DIRECTIONAL_LUX.0..=DIRECTIONAL_LUX.1),
        color: [
            1.0,
            rng.random_range(0.9..=1.0),
            rng.random_range(0.85..=1.0),
        ],
        direction: direction.into(),
        shadows: false,
    }];
    if rng.random_bool(POINT_LIGHT_PROBABILITY) {
        lights.push(Light::Point {
            position: [
                rng.random_range(-0.3..=0.9),
                rng.random_range(-0.8..=0.8),
                rng.random_range(1.4..=2.2),
            ],
            intensity_lm: rng.random_range(POINT_LUMENS.0..=POINT_LUMENS.1),
            color: [1.0, 1.0, 1.0],
            range_m: 10.0,
        });
    }
    Look {
        background: random_srgb(&mut rng, 0.1, 0.9),
        lights,
    }
}

/// Elevation of the directional light above the horizon, degrees.
const DIRECTIONAL_ELEVATION_DEG: (f32, f32) = (35.0, 85.0);
/// Illuminance of the directional light, lux; the shipped scenes use 4000 to 6000.
const DIRECTIONAL_LUX: (f32, f32) = (2500.0, 9000.0);
const POINT_LIGHT_PROBABILITY: f64 = 0.5;
/// Luminous power of the optional point light, lumens; the shelf scene uses 1500.
const POINT_LUMENS: (f32, f32) = (500.0, 4000.0);
