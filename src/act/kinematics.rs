//! Forward kinematics and damped-least-squares inverse kinematics of an [`ArmModel`].
//!
//! Every pose is an [`Isometry3d`] mapping a local frame into the world frame. The base pose
//! places the arm's root link in the world.

use bevy::math::{Isometry3d, Quat, Vec3};
use serde::{Deserialize, Serialize};

use super::arm::ArmModel;

/// Number of task-space rows: 3 translational and 3 rotational.
const TASK_DIM: usize = 6;
/// Tolerance on unit vectors when checking that the first joint turns about the base's Z axis.
const VERTICAL_AXIS_TOLERANCE: f32 = 1e-4;
/// Targets closer than this to the base's Z axis have no defined azimuth, metres.
const MIN_AZIMUTH_RADIUS_M: f32 = 1e-3;

/// Maximum number of joints the solver's fixed-size buffers hold.
pub const MAX_DOF: usize = 8;

/// Frames of one arm configuration in the world.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmFrames {
    /// Pose of every link frame, `links[0]` being the base.
    pub links: Vec<Isometry3d>,
    /// Pose of each joint frame (the joint's origin, before its rotation), one per joint.
    pub joints: Vec<Isometry3d>,
    pub tool: Isometry3d,
}

/// Computes every link frame and the tool frame for joint positions `q` (radians).
///
/// # Panics
/// If `q` does not have one entry per joint.
pub fn forward_kinematics(arm: &ArmModel, base: Isometry3d, q: &[f32]) -> ArmFrames {
    assert_eq!(q.len(), arm.dof(), "one joint position per joint of {}", arm.name);
    let mut links = Vec::with_capacity(arm.links.len());
    let mut joints = Vec::with_capacity(arm.dof());
    let mut frame = base;
    links.push(frame);
    for (joint, &angle) in arm.joints.iter().zip(q) {
        let joint_frame = frame * joint.origin;
        joints.push(joint_frame);
        frame = joint_frame * Isometry3d::from_rotation(Quat::from_axis_angle(joint.axis, angle));
        links.push(frame);
    }
    let tool = frame * arm.tool_offset;
    ArmFrames { links, joints, tool }
}

/// Pose of the arm's base link in the world, as a scene places it.
pub fn base_pose(robot: &crate::scene::Robot) -> Isometry3d {
    Isometry3d::new(
        Vec3::from(robot.base_position),
        Quat::from_rotation_z(robot.base_yaw_deg.to_radians()),
    )
}

/// Pose of the tool frame only.
pub fn tool_pose(arm: &ArmModel, base: Isometry3d, q: &[f32]) -> Isometry3d {
    forward_kinematics(arm, base, q).tool
}

/// Rotation of a tool frame whose +Z points straight down (world -Z) and whose +X points along
/// `yaw_rad` measured in the world XY plane from +X towards +Y.
pub fn top_down_rotation(yaw_rad: f32) -> Quat {
    Quat::from_rotation_z(yaw_rad) * Quat::from_rotation_x(std::f32::consts::PI)
}

/// Goal of an IK query.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct IkGoal {
    /// Tool frame origin in the world, metres.
    pub position: Vec3,
    /// Unit direction of the tool +Z axis in the world, `Vec3::NEG_Z` for a pick from above.
    pub tool_axis: Vec3,
    /// Required tool +X direction as a yaw in the world XY plane, radians. `None` leaves the
    /// rotation about the tool axis free. Only meaningful with a vertical tool axis.
    pub yaw_rad: Option<f32>,
}

impl IkGoal {
    /// Creates a goal for a pick from above: tool at `position` pointing down, yaw free.
    pub fn top_down(position: Vec3) -> Self {
        Self {
            position,
            tool_axis: Vec3::NEG_Z,
            yaw_rad: None,
        }
    }
}

/// Settings of the damped-least-squares solver.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IkParams {
    pub max_iterations: usize,
    /// Damping λ of `Δq = Jᵀ (J Jᵀ + λ² I)⁻¹ e`. Larger values converge more slowly but stay
    /// steadier near singularities.
    pub damping: f32,
    /// Converged when the position residual is below this, metres …
    pub position_tolerance_m: f32,
    /// … and the tool axis (and yaw, if given) is within this angle, radians.
    pub angle_tolerance_rad: f32,
    /// Largest change of any joint in one iteration, radians.
    pub max_step_rad: f32,
    /// Metres of task error that one radian of orientation error counts as.
    pub orientation_weight_m_per_rad: f32,
}

impl Default for IkParams {
    fn default() -> Self {
        Self {
            max_iterations: 200,
            damping: 0.02,
            position_tolerance_m: 5e-4,
            angle_tolerance_rad: 0.5_f32.to_radians(),
            max_step_rad: 0.25,
            orientation_weight_m_per_rad: 0.2,
        }
    }
}

/// Result of an IK query. `joints` is the best configuration found even when the solver did
/// not converge, so a caller can inspect how close it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IkSolution {
    pub joints: Vec<f32>,
    pub converged: bool,
    /// Distance from the tool origin to the goal position, metres.
    pub position_error_m: f32,
    /// Angle between the tool axis and the goal axis (plus the yaw error, if a yaw was given),
    /// radians.
    pub angle_error_rad: f32,
    pub iterations: usize,
}

/// Solves for joint positions that put the tool at `goal`, starting from `seed` and respecting
/// joint limits, by damped least squares.
///
/// # Panics
/// If `seed` does not have one entry per joint, or the arm has more than [`MAX_DOF`] joints.
pub fn solve_ik(arm: &ArmModel, base: Isometry3d, goal: &IkGoal, seed: &[f32], params: &IkParams) -> IkSolution {
    let dof = arm.dof();
    assert!(dof <= MAX_DOF, "the IK solver supports at most {MAX_DOF} joints, {} has {dof}", arm.name);
    let mut q = seed.to_vec();
    arm.clamp_joints(&mut q);
    let goal_axis = goal.tool_axis.normalize();

    let mut best = evaluate(arm, base, goal, goal_axis, &q);
    let mut best_q = q.clone();
    let mut iterations = 0;
    while iterations < params.max_iterations && !best.within(params) {
        iterations += 1;
        let frames = forward_kinematics(arm, base, &q);
        let (error, jacobian) = task_error_and_jacobian(arm, &frames, goal, goal_axis, params);
        let step = damped_least_squares(&jacobian[..dof], &error, params.damping);

        let largest = step.iter().take(dof).fold(0.0_f64, |m, s| m.max(s.abs())) as f32;
        let scale = if largest > params.max_step_rad { params.max_step_rad / largest } else { 1.0 };
        for (value, delta) in q.iter_mut().zip(step) {
            *value += scale * delta as f32;
        }
        arm.clamp_joints(&mut q);

        let residual = evaluate(arm, base, goal, goal_axis, &q);
        if residual.cost(params) < best.cost(params) {
            best = residual;
            best_q.clone_from(&q);
        }
    }

    IkSolution {
        converged: best.within(params),
        joints: best_q,
        position_error_m: best.position_m,
        angle_error_rad: best.angle_rad,
        iterations,
    }
}

/// Sets the first joint of `seed` to face `target` when that joint turns about the base's
/// vertical axis, which starts IK in the right half-space for most top-down picks.
pub fn face_target(arm: &ArmModel, base: Isometry3d, target: Vec3, seed: &mut [f32]) {
    let Some(first) = arm.joints.first() else { return };
    let local = Vec3::from(base.inverse_transform_point(target));
    let turns_about_z = (first.origin.rotation * first.axis - Vec3::Z).length() < VERTICAL_AXIS_TOLERANCE;
    if turns_about_z && local.truncate().length() > MIN_AZIMUTH_RADIUS_M {
        seed[0] = first.clamp(local.y.atan2(local.x));
    }
}

#[derive(Debug, Clone, Copy)]
struct Residual {
    position_m: f32,
    angle_rad: f32,
}

impl Residual {
    fn within(&self, params: &IkParams) -> bool {
        self.position_m <= params.position_tolerance_m && self.angle_rad <= params.angle_tolerance_rad
    }

    fn cost(&self, params: &IkParams) -> f32 {
        self.position_m + params.orientation_weight_m_per_rad * self.angle_rad
    }
}

fn evaluate(arm: &ArmModel, base: Isometry3d, goal: &IkGoal, goal_axis: Vec3, q: &[f32]) -> Residual {
    let tool = tool_pose(arm, base, q);
    let axis = tool.rotation * Vec3::Z;
    let mut angle = axis.angle_between(goal_axis);
    if let Some(yaw) = goal.yaw_rad {
        let tool_x = tool.rotation * Vec3::X;
        angle += yaw_error(tool_x, yaw).abs();
    }
    Residual {
        position_m: (Vec3::from(tool.translation) - goal.position).length(),
        angle_rad: angle,
    }
}

/// Signed rotation about world Z that takes the tool X direction onto the yaw direction.
fn yaw_error(tool_x: Vec3, yaw_rad: f32) -> f32 {
    let current = tool_x.y.atan2(tool_x.x);
    let mut delta = yaw_rad - current;
    while delta > std::f32::consts::PI {
        delta -= std::f32::consts::TAU;
    }
    while delta < -std::f32::consts::PI {
        delta += std::f32::consts::TAU;
    }
    delta
}

/// Task error `e` (position, then weighted rotation vector) and the matching weighted
/// geometric Jacobian, one column per joint.
fn task_error_and_jacobian(
    arm: &ArmModel,
    frames: &ArmFrames,
    goal: &IkGoal,
    goal_axis: Vec3,
    params: &IkParams,
) -> ([f64; TASK_DIM], [[f64; TASK_DIM]; MAX_DOF]) {
    let tool_position = Vec3::from(frames.tool.translation);
    let tool_axis = frames.tool.rotation * Vec3::Z;
    let weight = params.orientation_weight_m_per_rad;

    // The rotation that turns the tool axis onto the goal axis has no component about the
    // tool axis, so the yaw stays free unless a yaw goal adds one below.
    let mut rotation_error = tool_axis.cross(goal_axis);
    let sin = rotation_error.length();
    let cos = tool_axis.dot(goal_axis);
    if sin > 1e-9 {
        rotation_error *= sin.atan2(cos) / sin;
    } else if cos < 0.0 {
        // Exactly opposite: any perpendicular axis works.
        rotation_error = tool_axis.any_orthonormal_vector() * std::f32::consts::PI;
    }
    let yaw_free = goal.yaw_rad.is_none();
    if let Some(yaw) = goal.yaw_rad {
        // The yaw is measured about world Z, so its correction is a rotation about world Z.
        rotation_error += Vec3::Z * yaw_error(frames.tool.rotation * Vec3::X, yaw);
    }

    let position_error = goal.position - tool_position;
    let error = [
        position_error.x as f64,
        position_error.y as f64,
        position_error.z as f64,
        (weight * rotation_error.x) as f64,
        (weight * rotation_error.y) as f64,
        (weight * rotation_error.z) as f64,
    ];

    let mut jacobian = [[0.0_f64; TASK_DIM]; MAX_DOF];
    for (i, (joint, frame)) in arm.joints.iter().zip(&frames.joints).enumerate() {
        let axis = frame.rotation * joint.axis;
        let linear = axis.cross(tool_position - Vec3::from(frame.translation));
        // With a free yaw, rotation about the tool axis is not part of the task.
        let angular = if yaw_free { axis - tool_axis * axis.dot(tool_axis) } else { axis };
        jacobian[i] = [
            linear.x as f64,
            linear.y as f64,
            linear.z as f64,
            (weight * angular.x) as f64,
            (weight * angular.y) as f64,
            (weight * angular.z) as f64,
        ];
    }
    (error, jacobian)
}

/// `Δq = Jᵀ (J Jᵀ + λ² I)⁻¹ e` with `columns[i]` the Jacobian column of joint `i`.
fn damped_least_squares(columns: &[[f64; TASK_DIM]], error: &[f64; TASK_DIM], damping: f32) -> Vec<f64> {
    let mut system = [[0.0_f64; TASK_DIM]; TASK_DIM];
    for (r, row) in system.iter_mut().enumerate() {
        for (c, value) in row.iter_mut().enumerate() {
            *value = columns.iter().map(|column| column[r] * column[c]).sum();
        }
        row[r] += (damping as f64).powi(2);
    }
    let y = solve_symmetric_positive(system, *error);
    columns.iter().map(|column| column.iter().zip(&y).map(|(j, y)| j * y).sum()).collect()
}

/// Solves `A x = b` by Gaussian elimination with partial pivoting. `A = J Jᵀ + λ² I` is
/// positive definite for λ > 0, so the pivots stay non-zero.
fn solve_symmetric_positive(mut a: [[f64; TASK_DIM]; TASK_DIM], mut b: [f64; TASK_DIM]) -> [f64; TASK_DIM] {
    for col in 0..TASK_DIM {
        let pivot = (col..TASK_DIM)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .expect("non-empty range");
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..TASK_DIM {
            let factor = a[row][col] / a[col][col];
            let pivot_row = a[col];
            for (value, pivot_value) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *value -= factor * pivot_value;
            }
            b[row] -= factor * b[col];
        }
    }
    let mut x = [0.0; TASK_DIM];
    for row in (0..TASK_DIM).rev() {
        let tail: f64 = (row + 1..TASK_DIM).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x
}

#[cfg(test)]
mod tests;
