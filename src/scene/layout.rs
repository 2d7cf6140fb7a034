//! Concrete per-episode placement of a scene's objects, drawn from the episode seed.

use bevy::math::{Quat, Vec3};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::schema::{Material, Scene, Shape, Support};

/// Gap left between an object's bottom and its support's top at spawn, metres, so that the
/// first physics step starts without interpenetration.
pub const SPAWN_CLEARANCE_M: f32 = 0.001;

/// An object at its sampled start pose.
#[derive(Debug, Clone, PartialEq)]
pub struct PlacedObject {
    pub id: String,
    pub shape: Shape,
    pub material: Material,
    /// Centre of the shape's bounding box in the world at the start.
    pub position: Vec3,
    /// Rotation about world Z, radians.
    pub yaw_rad: f32,
    pub mass_kg: f32,
}

impl PlacedObject {
    pub fn rotation(&self) -> Quat {
        Quat::from_rotation_z(self.yaw_rad)
    }
}

/// Start poses of every object of a scene for one episode.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub objects: Vec<PlacedObject>,
}

impl Layout {
    /// Places every object on its support, applying the scene's jitter with a generator seeded
    /// by `seed`. Objects whose `on` names no support are skipped here; validation reports them.
    pub fn sample(scene: &Scene, seed: u64) -> Layout {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let objects = scene
            .objects
            .iter()
            .filter_map(|object| {
                let support = scene.supports.iter().find(|s| s.id == object.on)?;
                let (dx, dy, dyaw_deg) = match object.jitter {
                    Some(j) => (
                        symmetric(&mut rng, j.xy_m),
                        symmetric(&mut rng, j.xy_m),
                        symmetric(&mut rng, j.yaw_deg),
                    ),
                    None => (0.0, 0.0, 0.0),
                };
                let z = support_top(support) + 0.5 * object.shape.height() + SPAWN_CLEARANCE_M;
                Some(PlacedObject {
                    id: object.id.clone(),
                    shape: object.shape,
                    material: object.material.clone(),
                    position: Vec3::new(object.xy[0] + dx, object.xy[1] + dy, z),
                    yaw_rad: (object.yaw_deg + dyaw_deg).to_radians(),
                    mass_kg: object
                        .mass_kg
                        .unwrap_or(object.shape.volume() * super::shape::DEFAULT_DENSITY_KG_M3),
                })
            })
            .collect();
        Layout { objects }
    }

    pub fn get(&self, id: &str) -> Option<&PlacedObject> {
        self.objects.iter().find(|o| o.id == id)
    }
}

/// Height of a support's top face in the world, metres.
pub fn support_top(support: &Support) -> f32 {
    support.position[2] + 0.5 * support.size[2]
}

fn symmetric(rng: &mut ChaCha8Rng, half_width: f32) -> f32 {
    if half_width > 0.0 {
        rng.random_range(-half_width..=half_width)
    } else {
        0.0
    }
}
