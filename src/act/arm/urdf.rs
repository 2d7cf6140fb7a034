//! Conversion of a parsed URDF into an [`ArmModel`].

use std::collections::HashMap;
use std::path::Path;

use bevy::math::{Isometry3d, Mat3, Quat, Vec3};

use super::{
    ArmError, ArmModel, GeometryShape, Inertial, JointModel, LinkGeometry, LinkModel,
    SUCTION_CUP_COLLISION, TOOL_FRAME_LINK,
};

impl ArmModel {
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
                    if lower.is_nan() || upper.is_nan() || lower >= upper {
                        return Err(invalid(
                            element,
                            format!("has limits lower={lower}, upper={upper}, but lower must be below upper"),
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
