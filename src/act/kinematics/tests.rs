use bevy::math::{Isometry3d, Quat, Vec3};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::act::arm::ArmModel;

/// A configuration with the tool pointing down about 0.4 m in front of the base.
const READY: [f32; 6] = [0.0, 0.3, 1.6, 1.2416, 0.0, 0.0];

fn table_base() -> Isometry3d {
    Isometry3d::new(Vec3::new(0.0, 0.0, 0.75), Quat::from_rotation_z(0.3))
}

#[test]
fn home_pose_points_straight_up() {
    let arm = ArmModel::load_default().unwrap();
    let frames = forward_kinematics(&arm, Isometry3d::IDENTITY, &arm.home_joints());
    let tool = Vec3::from(frames.tool.translation);
    assert!((tool - Vec3::new(0.0, 0.0, 0.96)).length() < 1e-5, "tool at {tool}");
    assert!((frames.tool.rotation * Vec3::Z - Vec3::Z).length() < 1e-5);
    assert_eq!(frames.links.len(), 7);
    assert_eq!(frames.joints.len(), 6);
    let shoulder = Vec3::from(frames.joints[1].translation);
    assert!((shoulder - arm.shoulder_position()).length() < 1e-6);
}

#[test]
fn positive_lift_leans_forward() {
    let arm = ArmModel::load_default().unwrap();
    let mut q = arm.home_joints();
    q[1] = 0.5;
    let tool = Vec3::from(tool_pose(&arm, Isometry3d::IDENTITY, &q).translation);
    assert!(tool.x > 0.3, "tool at {tool}");
}

#[test]
fn ik_reaches_top_down_workspace() {
    let arm = ArmModel::load_default().unwrap();
    let base = table_base();
    let params = IkParams::default();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut worst_position = 0.0_f32;
    let mut worst_angle = 0.0_f32;
    for sample in 0..200 {
        let radius = rng.random_range(0.25..0.60);
        let azimuth = rng.random_range(-100.0_f32..100.0).to_radians();
        let height = rng.random_range(0.02..0.25);
        let local = Vec3::new(radius * azimuth.cos(), radius * azimuth.sin(), height);
        let goal = IkGoal::top_down(Vec3::from(base.transform_point(local)));
        let mut seed = READY.to_vec();
        face_target(&arm, base, goal.position, &mut seed);

        let solution = solve_ik(&arm, base, &goal, &seed, &params);

        assert!(solution.converged, "sample {sample} at {local} did not converge: {solution:?}");
        let tool = tool_pose(&arm, base, &solution.joints);
        let position_error = (Vec3::from(tool.translation) - goal.position).length();
        let angle_error = (tool.rotation * Vec3::Z).angle_between(Vec3::NEG_Z);
        assert!(position_error < 2e-3, "sample {sample}: position error {position_error} m");
        assert!(angle_error < 2.0_f32.to_radians(), "sample {sample}: axis error {angle_error} rad");
        for (q, joint) in solution.joints.iter().zip(&arm.joints) {
            assert!(*q >= joint.lower_rad, "{} below its limit", joint.name);
            assert!(*q <= joint.upper_rad, "{} above its limit", joint.name);
        }
        worst_position = worst_position.max(position_error);
        worst_angle = worst_angle.max(angle_error);
    }
    println!("worst position error {worst_position} m, worst axis error {worst_angle} rad");
}

#[test]
fn fk_ik_round_trip_with_yaw() {
    let arm = ArmModel::load_default().unwrap();
    let base = table_base();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for sample in 0..50 {
        // Tool-down configurations: the three pitch joints sum to pi.
        let lift = rng.random_range(-0.2..0.8);
        let elbow = rng.random_range(0.9..2.2);
        let truth = [
            rng.random_range(-1.5..1.5),
            lift,
            elbow,
            std::f32::consts::PI - lift - elbow,
            0.0,
            rng.random_range(-2.5..2.5),
        ];
        let pose = tool_pose(&arm, base, &truth);
        let tool_x = pose.rotation * Vec3::X;
        let goal = IkGoal {
            position: Vec3::from(pose.translation),
            tool_axis: pose.rotation * Vec3::Z,
            yaw_rad: Some(tool_x.y.atan2(tool_x.x)),
        };
        let mut seed = READY.to_vec();
        face_target(&arm, base, goal.position, &mut seed);

        let solution = solve_ik(&arm, base, &goal, &seed, &IkParams::default());

        assert!(solution.converged, "sample {sample} {truth:?}: {solution:?}");
        let reached = tool_pose(&arm, base, &solution.joints);
        assert!((Vec3::from(reached.translation) - goal.position).length() < 2e-3);
        assert!(reached.rotation.angle_between(pose.rotation) < 2.0_f32.to_radians(), "sample {sample}");
    }
}

#[test]
fn ik_reports_unreachable_point() {
    let arm = ArmModel::load_default().unwrap();
    let base = table_base();
    let goal = IkGoal::top_down(Vec3::new(1.6, 0.2, 0.8));
    let solution = solve_ik(&arm, base, &goal, &READY, &IkParams::default());
    assert!(!solution.converged);
    assert!(solution.position_error_m > 0.5, "error {}", solution.position_error_m);
    assert_eq!(solution.iterations, IkParams::default().max_iterations);
}

#[test]
fn ik_respects_joint_limits_when_pushed() {
    let arm = ArmModel::load_default().unwrap();
    // Straight below the base, which the shoulder limits do not allow.
    let goal = IkGoal::top_down(Vec3::new(0.0, 0.0, -0.5));
    let solution = solve_ik(&arm, Isometry3d::IDENTITY, &goal, &READY, &IkParams::default());
    assert!(!solution.converged);
    for (q, joint) in solution.joints.iter().zip(&arm.joints) {
        assert!(*q >= joint.lower_rad, "{} = {q}", joint.name);
        assert!(*q <= joint.upper_rad, "{} = {q}", joint.name);
    }
}
