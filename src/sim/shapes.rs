//! Decomposition of scene shapes and URDF primitives into Rapier colliders.
//!
//! Every object shape becomes a set of convex primitives in the shape's own frame (Z up,
//! origin at the centre of the bounding box), so that a dynamic body gets a compound of cheap
//! colliders instead of a triangle mesh.

use std::f32::consts::{FRAC_PI_2, TAU};

use bevy::math::{Quat, Vec3};
use bevy_rapier3d::rapier::prelude::{ColliderBuilder, Pose};

use crate::act::arm::{GeometryShape, LinkGeometry};
use crate::scene::Shape;
use crate::scene::shape::{
    BOTTLE_NECK_HEIGHT_RATIO, BOTTLE_NECK_RADIUS_RATIO, BOWL_WALL_RATIO, MUG_HANDLE_HEIGHT_RATIO,
    MUG_HANDLE_REACH_RATIO,
};

/// Thickness of a mug handle (its extent along the shape's Y axis) relative to the mug radius.
pub const MUG_HANDLE_THICKNESS_RATIO: f32 = 0.25;
/// Number of flat segments that approximate the round wall of a bowl.
pub const BOWL_WALL_SEGMENTS: usize = 12;

/// One convex primitive of a shape, placed in the shape's frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ShapePart {
    pub primitive: Primitive,
    pub position: Vec3,
    pub rotation: Quat,
}

/// Convex primitive with full sizes in metres. Cylinders run along the part's local Z axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Primitive {
    Cuboid { size: Vec3 },
    Cylinder { radius: f32, length: f32 },
    Ball { radius: f32 },
}

impl Primitive {
    /// Volume in m³.
    pub fn volume(&self) -> f32 {
        match *self {
            Primitive::Cuboid { size } => size.x * size.y * size.z,
            Primitive::Cylinder { radius, length } => std::f32::consts::PI * radius * radius * length,
            Primitive::Ball { radius } => 4.0 / 3.0 * std::f32::consts::PI * radius.powi(3),
        }
    }
}

impl ShapePart {
    fn at(primitive: Primitive, position: Vec3) -> Self {
        Self {
            primitive,
            position,
            rotation: Quat::IDENTITY,
        }
    }

    /// Creates a Rapier collider builder for this part, positioned relative to its parent body.
    pub fn collider(&self) -> ColliderBuilder {
        let builder = match self.primitive {
            Primitive::Cuboid { size } => ColliderBuilder::cuboid(0.5 * size.x, 0.5 * size.y, 0.5 * size.z),
            Primitive::Cylinder { radius, length } => ColliderBuilder::cylinder(0.5 * length, radius),
            Primitive::Ball { radius } => ColliderBuilder::ball(radius),
        };
        builder.position(Pose::from_parts(self.position, self.rotation * cylinder_alignment(self.primitive)))
    }
}

/// Returns the rotation that turns a Rapier cylinder (along local Y) onto local Z, so that
/// parts use Z-aligned cylinders as URDF does.
fn cylinder_alignment(primitive: Primitive) -> Quat {
    match primitive {
        Primitive::Cylinder { .. } => Quat::from_rotation_x(FRAC_PI_2),
        _ => Quat::IDENTITY,
    }
}

/// Splits a scene shape into convex parts.
pub fn shape_parts(shape: &Shape) -> Vec<ShapePart> {
    match *shape {
        Shape::Box { size } => vec![ShapePart::at(Primitive::Cuboid { size: Vec3::from(size) }, Vec3::ZERO)],
        Shape::Cylinder { radius, height } => {
            vec![ShapePart::at(Primitive::Cylinder { radius, length: height }, Vec3::ZERO)]
        }
        Shape::Ball { radius } => vec![ShapePart::at(Primitive::Ball { radius }, Vec3::ZERO)],
        Shape::Mug { radius, height } => {
            let reach = radius * MUG_HANDLE_REACH_RATIO;
            let handle = Vec3::new(reach, radius * MUG_HANDLE_THICKNESS_RATIO, height * MUG_HANDLE_HEIGHT_RATIO);
            vec![
                ShapePart::at(Primitive::Cylinder { radius, length: height }, Vec3::ZERO),
                ShapePart::at(Primitive::Cuboid { size: handle }, Vec3::new(radius + 0.5 * reach, 0.0, 0.0)),
            ]
        }
        Shape::Bottle { radius, height } => {
            let neck_height = height * BOTTLE_NECK_HEIGHT_RATIO;
            let body_height = height - neck_height;
            let bottom = -0.5 * height;
            vec![
                ShapePart::at(
                    Primitive::Cylinder { radius, length: body_height },
                    Vec3::new(0.0, 0.0, bottom + 0.5 * body_height),
                ),
                ShapePart::at(
                    Primitive::Cylinder { radius: radius * BOTTLE_NECK_RADIUS_RATIO, length: neck_height },
                    Vec3::new(0.0, 0.0, bottom + body_height + 0.5 * neck_height),
                ),
            ]
        }
        Shape::Bowl { radius, height } => {
            let wall = radius * BOWL_WALL_RATIO;
            let bottom = -0.5 * height;
            let mut parts = vec![ShapePart::at(
                Primitive::Cylinder { radius, length: wall },
                Vec3::new(0.0, 0.0, bottom + 0.5 * wall),
            )];
            // TODO: the schema describes a sloped bowl wall; these segments are vertical.
            let segment_width = TAU * radius / BOWL_WALL_SEGMENTS as f32;
            for i in 0..BOWL_WALL_SEGMENTS {
                let angle = TAU * i as f32 / BOWL_WALL_SEGMENTS as f32;
                let centre = (radius - 0.5 * wall) * Vec3::new(angle.cos(), angle.sin(), 0.0);
                parts.push(ShapePart {
                    primitive: Primitive::Cuboid { size: Vec3::new(wall, segment_width, height) },
                    position: centre,
                    rotation: Quat::from_rotation_z(angle),
                });
            }
            parts
        }
        Shape::Bin { size, wall } => {
            let [x, y, z] = size;
            let bottom = -0.5 * z;
            vec![
                ShapePart::at(Primitive::Cuboid { size: Vec3::new(x, y, wall) }, Vec3::new(0.0, 0.0, bottom + 0.5 * wall)),
                ShapePart::at(Primitive::Cuboid { size: Vec3::new(wall, y, z) }, Vec3::new(0.5 * (x - wall), 0.0, 0.0)),
                ShapePart::at(Primitive::Cuboid { size: Vec3::new(wall, y, z) }, Vec3::new(-0.5 * (x - wall), 0.0, 0.0)),
                ShapePart::at(Primitive::Cuboid { size: Vec3::new(x - 2.0 * wall, wall, z) }, Vec3::new(0.0, 0.5 * (y - wall), 0.0)),
                ShapePart::at(Primitive::Cuboid { size: Vec3::new(x - 2.0 * wall, wall, z) }, Vec3::new(0.0, -0.5 * (y - wall), 0.0)),
            ]
        }
    }
}

/// Converts a URDF link primitive into a part.
pub fn link_part(geometry: &LinkGeometry) -> ShapePart {
    let primitive = match geometry.geometry {
        GeometryShape::Box { size } => Primitive::Cuboid { size },
        GeometryShape::Cylinder { radius, length } => Primitive::Cylinder { radius, length },
        GeometryShape::Sphere { radius } => Primitive::Ball { radius },
    };
    ShapePart {
        primitive,
        position: geometry.position,
        rotation: geometry.rotation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mug_handle_sticks_out_along_x() {
        let parts = shape_parts(&Shape::Mug { radius: 0.04, height: 0.1 });
        assert_eq!(parts.len(), 2);
        let handle = parts[1];
        let Primitive::Cuboid { size } = handle.primitive else { panic!("handle is a cuboid") };
        let outer_x = handle.position.x + 0.5 * size.x;
        assert!((outer_x - 0.04 * (1.0 + MUG_HANDLE_REACH_RATIO)).abs() < 1e-6);
    }

    #[test]
    fn bottle_parts_fill_its_height() {
        let parts = shape_parts(&Shape::Bottle { radius: 0.03, height: 0.2 });
        let top = parts
            .iter()
            .map(|p| match p.primitive {
                Primitive::Cylinder { length, .. } => p.position.z + 0.5 * length,
                _ => f32::NAN,
            })
            .fold(f32::MIN, f32::max);
        assert!((top - 0.1).abs() < 1e-6, "top {top}");
    }

    #[test]
    fn bin_has_floor_and_four_walls() {
        let parts = shape_parts(&Shape::Bin { size: [0.3, 0.2, 0.1], wall: 0.01 });
        assert_eq!(parts.len(), 5);
        let volume: f32 = parts.iter().map(|p| p.primitive.volume()).sum();
        // Walls overlap the floor at the bottom edge, so the parts' volume slightly exceeds
        // the shape's material volume.
        let material = Shape::Bin { size: [0.3, 0.2, 0.1], wall: 0.01 }.volume();
        assert!(volume >= material, "{volume} vs {material}");
        assert!(volume < 1.2 * material, "{volume} vs {material}");
    }
}
