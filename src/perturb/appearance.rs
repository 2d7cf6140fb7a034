//! Appearance axes: object hue, object textures, support materials and the background.

use anyhow::{bail, ensure};
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::colour::{hsv_to_rgb, luma, rotate_hue};
use crate::scene::{Material, Rgb, Scene};

/// Textures shipped under `assets/` that `object_texture` draws from.
pub const OBJECT_TEXTURES: [&str; 2] = ["textures/wood.png", "textures/cardboard.png"];

/// Support materials of `table_texture`; level n uses entry n - 1.
pub const TABLE_VARIANTS: [(&str, Rgb, Option<&str>); 5] = [
    ("pale wood", [0.95, 0.85, 0.7], Some("textures/wood.png")),
    (
        "cardboard",
        [0.85, 0.7, 0.5],
        Some("textures/cardboard.png"),
    ),
    ("plain white", [0.9, 0.9, 0.88], None),
    ("plain dark grey", [0.18, 0.18, 0.2], None),
    ("plain green felt", [0.15, 0.45, 0.2], None),
];
/// Roughness of every `table_texture` variant.
pub const TABLE_ROUGHNESS: f32 = 0.8;

/// Brightness of the contrasting background colour, as HSV value: dark for a light
/// background, light for a dark one.
pub const DARK_BACKGROUND_VALUE: f32 = 0.15;
pub const LIGHT_BACKGROUND_VALUE: f32 = 0.95;
/// Saturation of the contrasting background colour.
pub const BACKGROUND_SATURATION: f32 = 0.6;
/// Backgrounds with a luma above this get a dark contrasting colour, others a light one.
pub const BACKGROUND_LUMA_SPLIT: f32 = 0.5;

/// Rotates the hue of every object's colour by `degrees`. Grey objects stay grey.
pub fn object_hue(scene: &mut Scene, degrees: f64) {
    for object in &mut scene.objects {
        object.material.color = rotate_hue(object.material.color, degrees as f32);
    }
}

/// Gives `round(share × objects)` seeded objects a shipped texture, a different one from any
/// texture they already have. The objects are a prefix of one seeded order, so a larger share
/// textures a superset of the objects of a smaller one.
pub fn object_texture(scene: &mut Scene, share: f64, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
    ensure!(
        share <= 1.0,
        "share {share} is above 1; use a share of the objects in 0..=1"
    );
    let count = (share * scene.objects.len() as f64).round() as usize;
    let mut order: Vec<usize> = (0..scene.objects.len()).collect();
    order.shuffle(rng);
    for &index in &order[..count] {
        let material = &mut scene.objects[index].material;
        let first = rng.random_range(0..OBJECT_TEXTURES.len());
        let texture = (0..OBJECT_TEXTURES.len())
            .map(|k| OBJECT_TEXTURES[(first + k) % OBJECT_TEXTURES.len()])
            .find(|t| material.texture.as_deref() != Some(*t))
            .expect("there are at least two textures");
        material.texture = Some(texture.to_owned());
    }
    Ok(())
}

/// Replaces every support's material with variant `level`.
pub fn table_texture(scene: &mut Scene, level: usize) -> anyhow::Result<()> {
    let Some((_, color, texture)) = level.checked_sub(1).and_then(|i| TABLE_VARIANTS.get(i)) else {
        let names: Vec<String> = TABLE_VARIANTS
            .iter()
            .enumerate()
            .map(|(i, (name, _, _))| format!("{} {name}", i + 1))
            .collect();
        bail!(
            "table variant {level} does not exist; use 0 (unchanged) or one of: {}",
            names.join(", ")
        );
    };
    for support in &mut scene.supports {
        support.material = Material {
            color: *color,
            roughness: TABLE_ROUGHNESS,
            metallic: 0.0,
            texture: texture.map(str::to_owned),
        };
    }
    Ok(())
}

/// Blends the background by `share` towards a colour of seeded hue whose brightness contrasts
/// with the current background.
pub fn background(scene: &mut Scene, share: f64, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
    ensure!(
        share <= 1.0,
        "share {share} is above 1; use a blend share in 0..=1"
    );
    let value = if luma(scene.background) > BACKGROUND_LUMA_SPLIT {
        DARK_BACKGROUND_VALUE
    } else {
        LIGHT_BACKGROUND_VALUE
    };
    let contrast = hsv_to_rgb(rng.random_range(0.0..360.0), BACKGROUND_SATURATION, value);
    let share = share as f32;
    for (channel, other) in scene.background.iter_mut().zip(contrast) {
        *channel = (1.0 - share) * *channel + share * other;
    }
    Ok(())
}
