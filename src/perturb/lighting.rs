//! Lighting axes: intensity in exposure stops, colour temperature, direction of directional
//! lights and extra coloured point lights.

use std::f32::consts::TAU;

use anyhow::ensure;
use bevy::math::{Quat, Vec3};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::colour::{WHITE_TEMPERATURE_K, black_body_tint, hsv_to_rgb};
use crate::scene::layout::support_top;
use crate::scene::{Light, Scene};

/// Colour temperatures `light_temperature` can reach, kelvin: the range where incandescent,
/// daylight and overcast-sky light lie.
pub const MIN_TEMPERATURE_K: f64 = 1000.0;
pub const MAX_TEMPERATURE_K: f64 = 40_000.0;

/// Luminous power of each extra point light, lumens (a 100 W incandescent bulb gives about
/// 1500 lm, as does the shelf lamp of warehouse_shelves).
pub const EXTRA_LIGHT_INTENSITY_LM: f32 = 1500.0;
/// Horizontal distance of extra lights from the target, metres, drawn uniformly.
pub const EXTRA_LIGHT_RADIUS_M: (f32, f32) = (0.4, 0.9);
/// Height of extra lights above the target's support top, metres, drawn uniformly.
pub const EXTRA_LIGHT_HEIGHT_M: (f32, f32) = (0.3, 0.8);
/// Saturation of the extra lights' colours, in HSV; their hue is drawn uniformly.
pub const EXTRA_LIGHT_SATURATION: f32 = 0.7;
/// Range of the extra point lights, metres.
pub const EXTRA_LIGHT_RANGE_M: f32 = 5.0;

/// Multiplies every light's intensity by 2^-`stops`.
pub fn intensity(scene: &mut Scene, stops: f64) -> anyhow::Result<()> {
    let factor = 2f64.powf(-stops) as f32;
    ensure!(
        factor.is_finite() && factor > 0.0,
        "2^-{stops} is not a positive finite factor in single precision; use |m| below 100 EV"
    );
    for light in &mut scene.lights {
        match light {
            Light::Directional {
                illuminance_lux, ..
            } => *illuminance_lux *= factor,
            Light::Point { intensity_lm, .. } => *intensity_lm *= factor,
        }
    }
    Ok(())
}

/// Multiplies every light's colour by the black-body tint of 6500 K + `kelvin`.
pub fn temperature(scene: &mut Scene, kelvin: f64) -> anyhow::Result<()> {
    let target = WHITE_TEMPERATURE_K + kelvin;
    ensure!(
        (MIN_TEMPERATURE_K..=MAX_TEMPERATURE_K).contains(&target),
        "6500 K + {kelvin} K = {target} K is outside the supported {MIN_TEMPERATURE_K}..={MAX_TEMPERATURE_K} K; \
         use a magnitude in {}..={}",
        MIN_TEMPERATURE_K - WHITE_TEMPERATURE_K,
        MAX_TEMPERATURE_K - WHITE_TEMPERATURE_K
    );
    let tint = black_body_tint(target);
    for light in &mut scene.lights {
        let (Light::Directional { color, .. } | Light::Point { color, .. }) = light;
        for (channel, factor) in color.iter_mut().zip(tint) {
            *channel *= factor;
        }
    }
    Ok(())
}

/// Rotates the direction of every directional light by `degrees` about world Z. Point lights
/// stay where they are.
pub fn direction(scene: &mut Scene, degrees: f64) -> anyhow::Result<()> {
    let rotation = Quat::from_rotation_z((degrees as f32).to_radians());
    let mut rotated = 0;
    for light in &mut scene.lights {
        if let Light::Directional { direction, .. } = light {
            *direction = (rotation * Vec3::from(*direction)).to_array();
            rotated += 1;
        }
    }
    ensure!(
        rotated > 0,
        "the scene has no directional light to rotate; add a Directional light to its lights"
    );
    Ok(())
}

/// Appends `count` point lights of seeded hue around the target, each at a seeded bearing,
/// distance and height.
pub fn extra_lights(scene: &mut Scene, count: usize, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
    let centre = target_top_centre(scene)?;
    for _ in 0..count {
        let bearing = rng.random_range(0.0..TAU);
        let radius = rng.random_range(EXTRA_LIGHT_RADIUS_M.0..=EXTRA_LIGHT_RADIUS_M.1);
        let height = rng.random_range(EXTRA_LIGHT_HEIGHT_M.0..=EXTRA_LIGHT_HEIGHT_M.1);
        let hue = rng.random_range(0.0..360.0);
        let position = centre + Vec3::new(radius * bearing.cos(), radius * bearing.sin(), height);
        scene.lights.push(Light::Point {
            position: position.to_array(),
            intensity_lm: EXTRA_LIGHT_INTENSITY_LM,
            color: hsv_to_rgb(hue, EXTRA_LIGHT_SATURATION, 1.0),
            range_m: EXTRA_LIGHT_RANGE_M,
        });
    }
    Ok(())
}

/// Returns the target's nominal position on its support's top face.
pub fn target_top_centre(scene: &Scene) -> anyhow::Result<Vec3> {
    let (target, support) = super::placement::target_and_support(scene)?;
    Ok(Vec3::new(target.xy[0], target.xy[1], support_top(support)))
}
