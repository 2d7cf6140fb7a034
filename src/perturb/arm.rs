//! Arm axis: seeded offsets to the arm's start joints.

use anyhow::ensure;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::act::arm::ArmModel;
use crate::scene::Scene;

/// Adds `radians` with a seeded sign to each start joint (the scene's start joints, or the
/// arm's home pose when it gives none), then clamps each joint into its URDF limits. A joint
/// at a limit that the sign pushes against stays at the limit.
pub fn start_joints(
    scene: &mut Scene,
    radians: f64,
    arm: &ArmModel,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<()> {
    let mut joints = scene
        .robot
        .start_joints
        .clone()
        .unwrap_or_else(|| arm.home_joints());
    ensure!(
        joints.len() == arm.dof(),
        "robot.start_joints has {} values but the arm {} has {} joints; give one value per joint",
        joints.len(),
        arm.name,
        arm.dof()
    );
    for joint in &mut joints {
        let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        *joint += sign * radians as f32;
    }
    arm.clamp_joints(&mut joints);
    scene.robot.start_joints = Some(joints);
    Ok(())
}
