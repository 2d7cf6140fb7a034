//! Visual bodies of a whole episode: the scene's supports and objects plus the arm's links.

use crate::act::arm::{ArmModel, GeometryShape};
use crate::observe::render::{scene_bodies, BodyKind, Geometry, VisualBody, VisualPart};
use crate::scene::{Layout, Material, Scene};

/// Colour of arm links whose URDF visual has no material, sRGB.
const DEFAULT_LINK_COLOR: [f32; 3] = [0.7, 0.7, 0.72];
/// Roughness of arm links; URDF materials carry only a colour.
const LINK_ROUGHNESS: f32 = 0.5;

/// Bodies in the order the physics world reports poses: supports, objects, arm links.
pub fn episode_bodies(scene: &Scene, layout: &Layout, arm: &ArmModel) -> Vec<VisualBody> {
    let mut bodies = scene_bodies(scene, layout);
    bodies.extend(arm_bodies(arm));
    bodies
}

/// Builds one body per URDF link, with the link's visual elements as parts in the link frame.
pub fn arm_bodies(arm: &ArmModel) -> Vec<VisualBody> {
    arm.links
        .iter()
        .enumerate()
        .map(|(index, link)| VisualBody {
            kind: BodyKind::RobotLink(index),
            parts: link
                .visuals
                .iter()
                .map(|visual| VisualPart {
                    geometry: match visual.geometry {
                        GeometryShape::Box { size } => Geometry::Box { size },
                        GeometryShape::Cylinder { radius, length } => Geometry::Cylinder { radius, length },
                        GeometryShape::Sphere { radius } => Geometry::Sphere { radius },
                    },
                    position: visual.position,
                    rotation: visual.rotation,
                    material: Material {
                        color: visual.rgba.map_or(DEFAULT_LINK_COLOR, |[r, g, b, _]| [r, g, b]),
                        roughness: LINK_ROUGHNESS,
                        metallic: 0.0,
                        texture: None,
                    },
                })
                .collect(),
        })
        .collect()
}
