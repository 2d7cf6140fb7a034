//! Scene lights as Bevy light entities.

use bevy::color::Color;
use bevy::light::{DirectionalLight, PointLight};
use bevy::math::{Dir3, Vec3};
use bevy::prelude::{Entity, Transform, World};

use crate::scene::Light;

/// Spawns one Bevy light per scene light and returns their entities.
pub fn spawn_lights(world: &mut World, lights: &[Light]) -> Vec<Entity> {
    lights
        .iter()
        .map(|light| spawn_light(world, light))
        .collect()
}

fn spawn_light(world: &mut World, light: &Light) -> Entity {
    match *light {
        Light::Directional {
            illuminance_lux,
            color: [r, g, b],
            direction,
            shadows,
        } => {
            let direction = Dir3::new(Vec3::from(direction)).unwrap_or(Dir3::NEG_Z);
            let up = if direction.cross(Vec3::Z).length_squared() < 1e-8 {
                Vec3::Y
            } else {
                Vec3::Z
            };
            world
                .spawn((
                    DirectionalLight {
                        color: Color::srgb(r, g, b),
                        illuminance: illuminance_lux,
                        shadow_maps_enabled: shadows,
                        ..Default::default()
                    },
                    // A directional light shines along its local -Z (its forward direction).
                    Transform::IDENTITY.looking_to(direction, up),
                ))
                .id()
        }
        Light::Point {
            position,
            intensity_lm,
            color: [r, g, b],
            range_m,
        } => world
            .spawn((
                PointLight {
                    color: Color::srgb(r, g, b),
                    intensity: intensity_lm,
                    range: range_m,
                    shadow_maps_enabled: false,
                    ..Default::default()
                },
                Transform::from_translation(Vec3::from(position)),
            ))
            .id(),
    }
}
