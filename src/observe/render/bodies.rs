//! Visual description of the world: what the renderer draws, independent of the physics code.
//!
//! A [`VisualBody`] is one rigid body (an object, a support or a robot link) made of
//! [`VisualPart`]s placed in the body frame. The episode loop moves bodies by handing one
//! [`BodyPose`] per body to the renderer at each capture.

use bevy::math::{Quat, Vec3};

use crate::observe::frame::{ROBOT_ID_BASE, SUPPORT_ID_BASE, object_instance_id};
use crate::scene::{Layout, Material, Scene, Shape, Support};

/// What a body is in the scene; it decides the body's instance id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BodyKind {
    /// Object `i` of the layout.
    Object(usize),
    /// Support `i` of the scene.
    Support(usize),
    /// Link `i` of the robot, in URDF order.
    RobotLink(usize),
}

impl BodyKind {
    /// Instance id written into the id image for every pixel of this body.
    pub fn instance_id(self) -> u16 {
        match self {
            BodyKind::Object(index) => object_instance_id(index),
            BodyKind::Support(index) => id_with_base(SUPPORT_ID_BASE, index),
            BodyKind::RobotLink(index) => id_with_base(ROBOT_ID_BASE, index),
        }
    }
}

fn id_with_base(base: u16, index: usize) -> u16 {
    u16::try_from(index)
        .ok()
        .and_then(|index| base.checked_add(index))
        .expect("scenes have far fewer than 16384 supports or robot links")
}

/// Shape of one visual part, in the part frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Geometry {
    /// One of the scene's object shapes, with its Z axis up and its origin at the centre of its
    /// bounding box, built from the same constants as the physics colliders
    /// (`scene::shape`).
    Shape(Shape),
    /// A box with full extents `size`, centred on the origin.
    Box {
        size: Vec3,
    },
    /// A closed cylinder along the local Z axis, centred on the origin.
    Cylinder {
        radius: f32,
        length: f32,
    },
    Sphere {
        radius: f32,
    },
}

/// One piece of a body: a geometry at a fixed pose in the body frame.
#[derive(Debug, Clone, PartialEq)]
pub struct VisualPart {
    pub geometry: Geometry,
    /// Position of the part frame in the body frame, metres.
    pub position: Vec3,
    /// Rotation of the part frame in the body frame.
    pub rotation: Quat,
    pub material: Material,
}

impl VisualPart {
    /// Creates a part whose frame is the body frame.
    pub fn at_origin(geometry: Geometry, material: Material) -> Self {
        Self {
            geometry,
            position: Vec3::ZERO,
            rotation: Quat::IDENTITY,
            material,
        }
    }
}

/// One rigid body as the renderer draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct VisualBody {
    pub kind: BodyKind,
    pub parts: Vec<VisualPart>,
}

/// World pose of a body frame at one capture.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BodyPose {
    pub position: Vec3,
    pub rotation: Quat,
}

impl BodyPose {
    pub fn new(position: Vec3, rotation: Quat) -> Self {
        Self { position, rotation }
    }
}

/// Builds the bodies of a scene's supports followed by the layout's objects, in that order.
///
/// Robot links are not included: the caller appends them from the URDF.
pub fn scene_bodies(scene: &Scene, layout: &Layout) -> Vec<VisualBody> {
    let supports = scene
        .supports
        .iter()
        .enumerate()
        .map(|(index, support)| VisualBody {
            kind: BodyKind::Support(index),
            parts: vec![VisualPart::at_origin(
                Geometry::Box {
                    size: Vec3::from(support.size),
                },
                support.material.clone(),
            )],
        });
    let objects = layout
        .objects
        .iter()
        .enumerate()
        .map(|(index, object)| VisualBody {
            kind: BodyKind::Object(index),
            parts: vec![VisualPart::at_origin(
                Geometry::Shape(object.shape),
                object.material.clone(),
            )],
        });
    supports.chain(objects).collect()
}

/// Start poses of the bodies returned by [`scene_bodies`], in the same order.
pub fn scene_start_poses(scene: &Scene, layout: &Layout) -> Vec<BodyPose> {
    let supports = scene.supports.iter().map(support_pose);
    let objects = layout
        .objects
        .iter()
        .map(|object| BodyPose::new(object.position, object.rotation()));
    supports.chain(objects).collect()
}

/// World pose of a static support box.
pub fn support_pose(support: &Support) -> BodyPose {
    BodyPose::new(
        Vec3::from(support.position),
        Quat::from_rotation_z(support.yaw_deg.to_radians()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_follow_frame_constants() {
        assert_eq!(BodyKind::Object(0).instance_id(), 1);
        assert_eq!(BodyKind::Object(4).instance_id(), 5);
        assert_eq!(BodyKind::Support(2).instance_id(), SUPPORT_ID_BASE + 2);
        assert_eq!(BodyKind::RobotLink(3).instance_id(), ROBOT_ID_BASE + 3);
    }
}
