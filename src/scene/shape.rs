//! Geometry of the primitive shapes, shared by validation, physics and rendering so that all
//! three agree on sizes.

use super::schema::Shape;

/// Density used when an object gives no mass, kg/m³ (a light plastic or cardboard item).
pub const DEFAULT_DENSITY_KG_M3: f32 = 400.0;

/// Handle of a mug, relative to the mug's radius and height: it sticks out along +X.
pub const MUG_HANDLE_REACH_RATIO: f32 = 0.45;
/// Height of the mug handle relative to the mug height.
pub const MUG_HANDLE_HEIGHT_RATIO: f32 = 0.6;
/// Bottle neck radius relative to the body radius.
pub const BOTTLE_NECK_RADIUS_RATIO: f32 = 0.4;
/// Share of a bottle's height taken by the neck.
pub const BOTTLE_NECK_HEIGHT_RATIO: f32 = 0.3;
/// Wall thickness of a bowl relative to its radius.
pub const BOWL_WALL_RATIO: f32 = 0.08;

impl Shape {
    /// Name used in messages and evidence rows.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Shape::Box { .. } => "box",
            Shape::Cylinder { .. } => "cylinder",
            Shape::Mug { .. } => "mug",
            Shape::Bowl { .. } => "bowl",
            Shape::Ball { .. } => "ball",
            Shape::Bottle { .. } => "bottle",
            Shape::Bin { .. } => "bin",
        }
    }

    /// Full height along the shape's Z axis, metres.
    pub fn height(&self) -> f32 {
        match *self {
            Shape::Box { size } | Shape::Bin { size, .. } => size[2],
            Shape::Cylinder { height, .. }
            | Shape::Mug { height, .. }
            | Shape::Bowl { height, .. }
            | Shape::Bottle { height, .. } => height,
            Shape::Ball { radius } => 2.0 * radius,
        }
    }

    /// Radius of the smallest vertical cylinder about the shape's origin that contains the
    /// shape at any yaw, metres. Used for overlap checks.
    pub fn footprint_radius(&self) -> f32 {
        match *self {
            Shape::Box { size } | Shape::Bin { size, .. } => 0.5 * size[0].hypot(size[1]),
            Shape::Cylinder { radius, .. }
            | Shape::Bowl { radius, .. }
            | Shape::Bottle { radius, .. }
            | Shape::Ball { radius } => radius,
            Shape::Mug { radius, .. } => radius * (1.0 + MUG_HANDLE_REACH_RATIO),
        }
    }

    /// Approximate volume of the material, m³, used to derive a mass.
    pub fn volume(&self) -> f32 {
        use std::f32::consts::PI;
        match *self {
            Shape::Box { size } => size[0] * size[1] * size[2],
            Shape::Bin { size, wall } => {
                let outer = size[0] * size[1] * size[2];
                let inner = (size[0] - 2.0 * wall).max(0.0)
                    * (size[1] - 2.0 * wall).max(0.0)
                    * (size[2] - wall).max(0.0);
                outer - inner
            }
            Shape::Cylinder { radius, height } | Shape::Mug { radius, height } => {
                PI * radius * radius * height
            }
            Shape::Bottle { radius, height } => {
                let neck_r = radius * BOTTLE_NECK_RADIUS_RATIO;
                let neck_h = height * BOTTLE_NECK_HEIGHT_RATIO;
                PI * (radius * radius * (height - neck_h) + neck_r * neck_r * neck_h)
            }
            Shape::Bowl { radius, height } => {
                let wall = radius * BOWL_WALL_RATIO;
                PI * radius * radius * wall + 2.0 * PI * radius * height * wall
            }
            Shape::Ball { radius } => 4.0 / 3.0 * PI * radius.powi(3),
        }
    }

    /// Lists every dimension of the shape with its field name, for validation.
    pub fn dimensions(&self) -> Vec<(&'static str, f32)> {
        match *self {
            Shape::Box { size } => vec![("size.x", size[0]), ("size.y", size[1]), ("size.z", size[2])],
            Shape::Bin { size, wall } => vec![
                ("size.x", size[0]),
                ("size.y", size[1]),
                ("size.z", size[2]),
                ("wall", wall),
            ],
            Shape::Cylinder { radius, height }
            | Shape::Mug { radius, height }
            | Shape::Bowl { radius, height }
            | Shape::Bottle { radius, height } => vec![("radius", radius), ("height", height)],
            Shape::Ball { radius } => vec![("radius", radius)],
        }
    }
}
