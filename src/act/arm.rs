//! The arm model: a serial chain of revolute joints loaded from a URDF file.
//!
//! Only the subset of URDF that a serial pick arm needs is accepted. Revolute (or continuous)
//! joints form one chain from the root link. Fixed joints may follow at the end to name frames
//! on the last actuated link, such as the tool frame. Geometry is limited to boxes, cylinders
//! and spheres. Anything else is rejected with an error that names the element.

use std::path::{Path, PathBuf};

use bevy::math::{Isometry3d, Mat3, Quat, Vec3};

mod urdf;

/// Name of the link whose origin is the tool frame.
pub const TOOL_FRAME_LINK: &str = "tool0";
/// Name of the collision element that the suction gripper treats as its contact surface.
pub const SUCTION_CUP_COLLISION: &str = "suction_cup";

/// Errors raised while loading an arm description.
#[derive(Debug, thiserror::Error)]
pub enum ArmError {
    #[error("failed to read URDF file {path}: {source}. Check the path (relative to assets/) and the XML syntax")]
    Read {
        path: PathBuf,
        #[source]
        source: urdf_rs::UrdfError,
    },
    #[error("invalid URDF {path}: {element}: {problem}. Fix: {fix}")]
    Invalid {
        path: PathBuf,
        element: String,
        problem: String,
        fix: String,
    },
}

/// Primitive shape of a link's visual or collision element, in metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GeometryShape {
    /// Full extents along the element's local X, Y, Z axes.
    Box { size: Vec3 },
    /// A cylinder along the element's local Z axis, centred on its origin.
    Cylinder { radius: f32, length: f32 },
    Sphere { radius: f32 },
}

/// One visual or collision primitive of a link, placed in the link frame.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkGeometry {
    /// The URDF element's `name` attribute, if any.
    pub name: Option<String>,
    pub geometry: GeometryShape,
    /// Origin of the element in the link frame.
    pub position: Vec3,
    pub rotation: Quat,
    /// RGBA colour from the URDF material, for visual elements only. URDF does not define a
    /// colour space, so the values are passed through unchanged.
    pub rgba: Option<[f32; 4]>,
}

impl LinkGeometry {
    /// Pose of the element in its link frame.
    pub fn local_pose(&self) -> Isometry3d {
        Isometry3d::new(self.position, self.rotation)
    }
}

/// Mass properties of a link, from its URDF `<inertial>` element.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inertial {
    pub mass_kg: f32,
    /// Centre of mass in the link frame.
    pub center_of_mass: Vec3,
    /// Inertia tensor about the centre of mass, expressed in the link frame, kg m².
    pub inertia: Mat3,
}

/// One rigid link of the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkModel {
    pub name: String,
    pub inertial: Inertial,
    pub visuals: Vec<LinkGeometry>,
    pub collisions: Vec<LinkGeometry>,
}

/// A revolute joint between `links[i]` and `links[i + 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct JointModel {
    pub name: String,
    /// Pose of the joint frame (and of the child link frame at zero angle) in the parent link
    /// frame.
    pub origin: Isometry3d,
    /// Unit rotation axis in the joint frame.
    pub axis: Vec3,
    /// Position limits, radians.
    pub lower_rad: f32,
    pub upper_rad: f32,
    /// Velocity limit, rad/s.
    pub max_velocity_rad_s: f32,
    /// Torque limit, N m.
    pub max_effort_nm: f32,
}

impl JointModel {
    /// Transform from the child link frame to the parent link frame at joint angle `q`.
    pub fn child_to_parent(&self, q: f32) -> Isometry3d {
        self.origin * Isometry3d::from_rotation(Quat::from_axis_angle(self.axis, q))
    }

    /// Clamps an angle into the joint's position limits.
    pub fn clamp(&self, q: f32) -> f32 {
        q.clamp(self.lower_rad, self.upper_rad)
    }
}

/// The loaded arm: a serial chain `links[0] -joints[0]- links[1] … links[n]` and a tool frame
/// fixed on the last link.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmModel {
    /// File the model was loaded from, for messages.
    pub source: PathBuf,
    pub name: String,
    pub links: Vec<LinkModel>,
    pub joints: Vec<JointModel>,
    /// Pose of the tool frame in the last link's frame.
    pub tool_offset: Isometry3d,
    /// Index into the last link's `collisions` of the suction cup element, if the URDF names
    /// one `suction_cup`.
    pub suction_cup_collision: Option<usize>,
}

impl ArmModel {
    /// Loads and checks a URDF file.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, ArmError> {
        let path = path.as_ref();
        let robot = urdf_rs::read_file(path).map_err(|source| ArmError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_urdf(&robot, path)
    }

    /// Loads the project's own arm from `assets/robots/pickloop_arm.urdf` relative to the
    /// crate root.
    pub fn load_default() -> Result<Self, ArmError> {
        Self::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/robots/pickloop_arm.urdf"))
    }

    /// Number of actuated joints.
    pub fn dof(&self) -> usize {
        self.joints.len()
    }

    /// Home pose: every joint at zero, clamped into its limits.
    pub fn home_joints(&self) -> Vec<f32> {
        self.joints.iter().map(|j| j.clamp(0.0)).collect()
    }

    /// Position of the shoulder pivot (the second joint's origin, where the arm's reach is
    /// measured from) in the base link frame.
    pub fn shoulder_position(&self) -> Vec3 {
        let pivot_joints = self.joints.len().min(2);
        let mut frame = Isometry3d::IDENTITY;
        for joint in &self.joints[..pivot_joints] {
            frame = frame * joint.origin;
        }
        Vec3::from(frame.translation)
    }

    /// Distance from the shoulder pivot to the tool frame with the arm fully stretched, metres.
    /// It is the sum of the joint offsets after the shoulder plus the tool offset, which is exact
    /// for an in-line arm such as pickloop_arm and an upper bound otherwise.
    pub fn max_reach_m(&self) -> f32 {
        let after_shoulder: f32 = self.joints.iter().skip(2).map(|j| j.origin.translation.length()).sum();
        after_shoulder + self.tool_offset.translation.length()
    }

    /// Shortest distance from the shoulder pivot to the tool frame that scene validation
    /// accepts, metres: the length of the fully folded elbow (the difference of the upper-arm
    /// and forearm offsets) plus everything beyond the wrist.
    // NOTE: a geometric estimate for in-line arms; IK in the episode is the final word.
    pub fn min_reach_m(&self) -> f32 {
        let offsets: Vec<f32> = self.joints.iter().skip(2).map(|j| j.origin.translation.length()).collect();
        let folded = match offsets.as_slice() {
            [upper, fore, ..] => (upper - fore).abs(),
            _ => 0.0,
        };
        let beyond_wrist: f32 = offsets.iter().skip(2).sum();
        folded + beyond_wrist + self.tool_offset.translation.length()
    }

    /// Clamps each joint position into its limits.
    pub fn clamp_joints(&self, q: &mut [f32]) {
        for (value, joint) in q.iter_mut().zip(&self.joints) {
            *value = joint.clamp(*value);
        }
    }
}

#[cfg(test)]
mod tests;
