//! The arm model: a serial chain of revolute joints loaded from a URDF file.
//!
//! Only the subset of URDF that a serial pick arm needs is accepted. Revolute (or continuous)
//! joints form one chain from the root link. Fixed joints may follow at the end to name frames
//! on the last actuated link, such as the tool frame. Geometry is limited to boxes, cylinders
//! and spheres. Anything else is rejected with an error that names the element.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bevy::math::{Isometry3d, Mat3, Quat, Vec3};

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

    /// Builds the model from a parsed URDF. `path` is only used in messages.
    pub fn from_urdf(robot: &urdf_rs::Robot, path: &Path) -> Result<Self, ArmError> {
        let invalid = |element: String, problem: String, fix: &str| ArmError::Invalid {
            path: path.to_owned(),
            element,
            problem,
            fix: fix.to_owned(),
        };

        let materials: HashMap<&str, [f32; 4]> = robot
            .materials
            .iter()
            .filter_map(|m| Some((m.name.as_str(), rgba(m.color.as_ref()?))))
            .collect();

        // The root is the one link that is no joint's child.
        let children: Vec<&str> = robot.joints.iter().map(|j| j.child.link.as_str()).collect();
        let roots: Vec<&urdf_rs::Link> = robot
            .links
            .iter()
            .filter(|l| !children.contains(&l.name.as_str()))
            .collect();
        let [root] = roots.as_slice() else {
            return Err(invalid(
                "<robot>".into(),
                format!("found {} root links (links that are no joint's child), expected 1", roots.len()),
                "connect every link into one tree below a single base link",
            ));
        };

        let mut links = vec![convert_link(root, &materials, path)?];
        let mut joints = Vec::new();
        let mut tool_offset = None;
        let mut current = root.name.as_str();
        let mut fixed_offset = Isometry3d::IDENTITY;
        let mut in_fixed_tail = false;

        loop {
            let outgoing: Vec<&urdf_rs::Joint> =
                robot.joints.iter().filter(|j| j.parent.link == current).collect();
            let joint = match outgoing.as_slice() {
                [] => break,
                [joint] => *joint,
                _ => {
                    return Err(invalid(
                        format!("link '{current}'"),
                        format!("has {} child joints, but the arm must be a serial chain", outgoing.len()),
                        "keep one child joint per link",
                    ));
                }
            };
            let element = format!("joint '{}'", joint.name);
            let child = robot
                .links
                .iter()
                .find(|l| l.name == joint.child.link)
                .ok_or_else(|| {
                    invalid(
                        element.clone(),
                        format!("child link '{}' is not defined", joint.child.link),
                        "add the <link> or correct the name",
                    )
                })?;
            let origin = pose(&joint.origin);

            match joint.joint_type {
                urdf_rs::JointType::Revolute | urdf_rs::JointType::Continuous => {
                    if in_fixed_tail {
                        return Err(invalid(
                            element,
                            "is a revolute joint after a fixed joint".into(),
                            "put fixed frames (such as tool0) only at the end of the chain",
                        ));
                    }
                    let axis = vec3(&joint.axis.xyz);
                    if axis.length() < 1e-6 {
                        return Err(invalid(element, "has a zero axis".into(), "give <axis xyz> a unit vector"));
                    }
                    let (lower, upper) = match joint.joint_type {
                        urdf_rs::JointType::Continuous => (-std::f32::consts::PI, std::f32::consts::PI),
                        _ => (joint.limit.lower as f32, joint.limit.upper as f32),
                    };
                    if !(lower < upper) {
                        return Err(invalid(
                            element,
                            format!("has limits lower={lower} >= upper={upper}"),
                            "set <limit lower> below <limit upper>",
                        ));
                    }
                    if joint.limit.velocity <= 0.0 || joint.limit.effort <= 0.0 {
                        return Err(invalid(
                            element,
                            format!(
                                "has velocity={} and effort={}, both must be positive",
                                joint.limit.velocity, joint.limit.effort
                            ),
                            "set <limit velocity> (rad/s) and <limit effort> (N m)",
                        ));
                    }
                    joints.push(JointModel {
                        name: joint.name.clone(),
                        origin,
                        axis: axis.normalize(),
                        lower_rad: lower,
                        upper_rad: upper,
                        max_velocity_rad_s: joint.limit.velocity as f32,
                        max_effort_nm: joint.limit.effort as f32,
                    });
                    links.push(convert_link(child, &materials, path)?);
                }
                urdf_rs::JointType::Fixed => {
                    in_fixed_tail = true;
                    if !child.visual.is_empty() || !child.collision.is_empty() {
                        return Err(invalid(
                            element,
                            format!("is fixed and its child '{}' has geometry", child.name),
                            "move the geometry into the parent link; fixed links may only be frames",
                        ));
                    }
                    fixed_offset = fixed_offset * origin;
                    if child.name == TOOL_FRAME_LINK {
                        tool_offset = Some(fixed_offset);
                    }
                }
                ref other => {
                    return Err(invalid(
                        element,
                        format!("has unsupported type {other:?}"),
                        "use revolute, continuous or fixed joints",
                    ));
                }
            }
            current = child.name.as_str();
        }

        if joints.is_empty() {
            return Err(invalid("<robot>".into(), "has no revolute joints".into(), "describe the arm's joints"));
        }
        let tool_offset = tool_offset.ok_or_else(|| {
            invalid(
                format!("link '{TOOL_FRAME_LINK}'"),
                "is missing at the end of the chain".into(),
                "add a fixed joint from the last link to a link named tool0 at the cup face, +Z out of the cup",
            )
        })?;
        let last = links.last().expect("the chain has at least the root link");
        let suction_cup_collision = last
            .collisions
            .iter()
            .position(|c| c.name.as_deref() == Some(SUCTION_CUP_COLLISION));

        Ok(Self {
            source: path.to_owned(),
            name: robot.name.clone(),
            links,
            joints,
            tool_offset,
            suction_cup_collision,
        })
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

    /// Distance from the shoulder pivot to the tool frame with the arm fully stretched, metres:
    /// the sum of the joint offsets after the shoulder plus the tool offset.
    pub fn max_reach_m(&self) -> f32 {
        let after_shoulder: f32 = self.joints.iter().skip(2).map(|j| j.origin.translation.length()).sum();
        after_shoulder + self.tool_offset.translation.length()
    }

    /// Clamps each joint position into its limits.
    pub fn clamp_joints(&self, q: &mut [f32]) {
        for (value, joint) in q.iter_mut().zip(&self.joints) {
            *value = joint.clamp(*value);
        }
    }
}

fn convert_link(
    link: &urdf_rs::Link,
    materials: &HashMap<&str, [f32; 4]>,
    path: &Path,
) -> Result<LinkModel, ArmError> {
    let element = |kind: &str, i: usize| format!("link '{}' {kind} #{i}", link.name);
    let mut visuals = Vec::new();
    for (i, visual) in link.visual.iter().enumerate() {
        let color = visual.material.as_ref().and_then(|m| {
            m.color.as_ref().map(rgba).or_else(|| materials.get(m.name.as_str()).copied())
        });
        visuals.push(convert_geometry(
            visual.name.clone(),
            &visual.origin,
            &visual.geometry,
            color,
            element("visual", i),
            path,
        )?);
    }
    let mut collisions = Vec::new();
    for (i, collision) in link.collision.iter().enumerate() {
        collisions.push(convert_geometry(
            collision.name.clone(),
            &collision.origin,
            &collision.geometry,
            None,
            element("collision", i),
            path,
        )?);
    }

    let inertia = &link.inertial.inertia;
    let tensor_in_inertial_frame = Mat3::from_cols_array(&[
        inertia.ixx as f32,
        inertia.ixy as f32,
        inertia.ixz as f32,
        inertia.ixy as f32,
        inertia.iyy as f32,
        inertia.iyz as f32,
        inertia.ixz as f32,
        inertia.iyz as f32,
        inertia.izz as f32,
    ]);
    let inertial_frame = pose(&link.inertial.origin);
    let rotation = Mat3::from_quat(inertial_frame.rotation);
    Ok(LinkModel {
        name: link.name.clone(),
        inertial: Inertial {
            mass_kg: link.inertial.mass.value as f32,
            center_of_mass: Vec3::from(inertial_frame.translation),
            inertia: rotation * tensor_in_inertial_frame * rotation.transpose(),
        },
        visuals,
        collisions,
    })
}

fn convert_geometry(
    name: Option<String>,
    origin: &urdf_rs::Pose,
    geometry: &urdf_rs::Geometry,
    rgba: Option<[f32; 4]>,
    element: String,
    path: &Path,
) -> Result<LinkGeometry, ArmError> {
    let shape = match geometry {
        urdf_rs::Geometry::Box { size } => GeometryShape::Box { size: vec3(size) },
        urdf_rs::Geometry::Cylinder { radius, length } => GeometryShape::Cylinder {
            radius: *radius as f32,
            length: *length as f32,
        },
        urdf_rs::Geometry::Sphere { radius } => GeometryShape::Sphere { radius: *radius as f32 },
        other => {
            return Err(ArmError::Invalid {
                path: path.to_owned(),
                element,
                problem: format!("uses unsupported geometry {other:?}"),
                fix: "use box, cylinder or sphere primitives".into(),
            });
        }
    };
    let frame = pose(origin);
    Ok(LinkGeometry {
        name,
        geometry: shape,
        position: Vec3::from(frame.translation),
        rotation: frame.rotation,
        rgba,
    })
}

fn vec3(v: &urdf_rs::Vec3) -> Vec3 {
    Vec3::new(v[0] as f32, v[1] as f32, v[2] as f32)
}

fn rgba(color: &urdf_rs::Color) -> [f32; 4] {
    color.rgba.0.map(|c| c as f32)
}

/// Converts a URDF origin. URDF `rpy` is roll about X, then pitch about Y, then yaw about Z,
/// all about fixed axes, so the rotation is Rz(yaw) · Ry(pitch) · Rx(roll).
fn pose(origin: &urdf_rs::Pose) -> Isometry3d {
    let [roll, pitch, yaw] = origin.rpy.0.map(|a| a as f32);
    let rotation = Quat::from_rotation_z(yaw) * Quat::from_rotation_y(pitch) * Quat::from_rotation_x(roll);
    Isometry3d::new(vec3(&origin.xyz), rotation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_arm_loads_six_joints() {
        let arm = ArmModel::load_default().expect("the project's arm loads");
        assert_eq!(arm.dof(), 6);
        assert_eq!(arm.links.len(), 7);
        let names: Vec<&str> = arm.joints.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["shoulder_pan", "shoulder_lift", "elbow", "wrist_1", "wrist_2", "wrist_3"]);
        for joint in &arm.joints {
            assert!(joint.lower_rad < 0.0, "{} lower limit", joint.name);
            assert!(joint.upper_rad > 0.0, "{} upper limit", joint.name);
            assert!(joint.max_velocity_rad_s > 1.0, "{} velocity", joint.name);
            assert!(joint.max_effort_nm >= 10.0, "{} effort", joint.name);
        }
        assert_eq!(arm.joints[1].lower_rad, -2.2);
        assert_eq!(arm.joints[0].max_effort_nm, 150.0);
        assert!(arm.suction_cup_collision.is_some());
    }

    #[test]
    fn default_arm_dimensions() {
        let arm = ArmModel::load_default().unwrap();
        assert!((arm.shoulder_position() - Vec3::new(0.0, 0.0, 0.16)).length() < 1e-6);
        assert!((arm.max_reach_m() - 0.80).abs() < 1e-4, "reach {}", arm.max_reach_m());
        assert!((Vec3::from(arm.tool_offset.translation) - Vec3::new(0.0, 0.0, 0.035)).length() < 1e-6);
        let total_mass: f32 = arm.links.iter().map(|l| l.inertial.mass_kg).sum();
        assert!((total_mass - 9.75).abs() < 1e-3, "mass {total_mass}");
    }

    #[test]
    fn cylinder_rpy_maps_to_rotation() {
        let arm = ArmModel::load_default().unwrap();
        // The shoulder motor housing is rotated by roll = pi/2, so its cylinder axis (local Z)
        // lies along the link's -Y axis.
        let housing = &arm.links[1].visuals[1];
        let axis = housing.rotation * Vec3::Z;
        assert!((axis - Vec3::NEG_Y).length() < 1e-4, "axis {axis}");
    }

    #[test]
    fn branching_urdf_is_rejected() {
        let xml = r#"<robot name="y">
            <link name="a"/><link name="b"/><link name="c"/>
            <joint name="ab" type="revolute"><parent link="a"/><child link="b"/>
              <axis xyz="0 0 1"/><limit lower="-1" upper="1" velocity="1" effort="1"/></joint>
            <joint name="ac" type="revolute"><parent link="a"/><child link="c"/>
              <axis xyz="0 0 1"/><limit lower="-1" upper="1" velocity="1" effort="1"/></joint>
        </robot>"#;
        let robot = urdf_rs::read_from_string(xml).unwrap();
        let error = ArmModel::from_urdf(&robot, Path::new("y.urdf")).unwrap_err().to_string();
        assert!(error.contains("link 'a'"), "{error}");
        assert!(error.contains("serial chain"), "{error}");
    }

    #[test]
    fn missing_tool_frame_is_rejected() {
        let xml = r#"<robot name="t">
            <link name="a"/><link name="b"/>
            <joint name="ab" type="revolute"><parent link="a"/><child link="b"/>
              <axis xyz="0 0 1"/><limit lower="-1" upper="1" velocity="1" effort="1"/></joint>
        </robot>"#;
        let robot = urdf_rs::read_from_string(xml).unwrap();
        let error = ArmModel::from_urdf(&robot, Path::new("t.urdf")).unwrap_err().to_string();
        assert!(error.contains("tool0"), "{error}");
        assert!(error.contains("t.urdf"), "{error}");
    }
}
