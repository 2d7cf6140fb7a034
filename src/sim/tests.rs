use std::time::Instant;

use bevy::math::{Isometry3d, Quat, Vec3};

use super::fixtures::{TABLE_TOP_Z, object_on_table, table_scene};
use super::*;
use crate::act::arm::ArmModel;
use crate::act::kinematics::{IkGoal, IkParams, face_target, solve_ik};
use crate::scene::{Layout, Scene, Shape};

const PHYSICS_HZ: f32 = 240.0;
/// Tool pointing down about 0.3 m above the table, 0.4 m in front of the base.
const READY: [f32; 6] = [0.0, 0.3, 1.6, 1.2416, 0.0, 0.0];

fn ready_scene(objects: Vec<crate::scene::Object>) -> Scene {
    let mut scene = table_scene(objects);
    scene.robot.start_joints = Some(READY.to_vec());
    scene
}

fn box_scene(xy: [f32; 2]) -> Scene {
    ready_scene(vec![object_on_table("box", Shape::Box { size: [0.06, 0.06, 0.06] }, xy, 0.0)])
}

fn build(scene: &Scene) -> (SimWorld, ArmModel) {
    let arm = ArmModel::load_default().unwrap();
    let layout = Layout::sample(scene, 0);
    (SimWorld::new(scene, &layout, &arm, PHYSICS_HZ).unwrap(), arm)
}

fn steps_for(seconds: f32) -> usize {
    (seconds * PHYSICS_HZ).round() as usize
}

fn base_pose(scene: &Scene) -> Isometry3d {
    Isometry3d::from_translation(Vec3::from(scene.robot.base_position))
}

/// Joint angles that put the tool pointing down at `position`.
fn top_down_joints(arm: &ArmModel, scene: &Scene, position: Vec3) -> Vec<f32> {
    let base = base_pose(scene);
    let mut seed = READY.to_vec();
    face_target(arm, base, position, &mut seed);
    let solution = solve_ik(arm, base, &IkGoal::top_down(position), &seed, &IkParams::default());
    assert!(solution.converged, "IK for {position}: {solution:?}");
    solution.joints
}

fn max_abs_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn start_pose_matches_forward_kinematics() {
    let scene = box_scene([0.5, 0.2]);
    let (sim, arm) = build(&scene);
    let expected = crate::act::kinematics::forward_kinematics(&arm, base_pose(&scene), &READY);
    let (tool, _) = sim.tool_pose();
    assert!((tool - Vec3::from(expected.tool.translation)).length() < 1e-4, "tool at {tool}");
    let measured = sim.joint_positions();
    assert!(max_abs_difference(&measured, &READY) < 1e-5, "{measured:?}");
    assert_eq!(sim.link_poses().len(), 7);
}

#[test]
fn arm_holds_pose_under_gravity() {
    let scene = box_scene([0.5, 0.2]);
    let (mut sim, _) = build(&scene);
    for _ in 0..steps_for(1.0) {
        sim.step();
    }
    let error = max_abs_difference(&sim.joint_positions(), &READY);
    assert!(error < 5e-3, "joint error {error} rad after 1 s");
}

#[test]
fn arm_tracks_joint_targets() {
    let scene = box_scene([0.5, 0.2]);
    let (mut sim, _) = build(&scene);
    let target = [0.6, 0.1, 1.4, 1.2, 0.2, -0.5];
    sim.set_joint_targets(&target);
    for _ in 0..steps_for(1.5) {
        sim.step();
    }
    let error = max_abs_difference(&sim.joint_positions(), &target);
    assert!(error < 5e-3, "joint error {error} rad after 1.5 s: {:?}", sim.joint_positions());
    assert_eq!(sim.arm_support_contact_force_n(), 0.0);
}

#[test]
fn objects_settle_on_table() {
    let scene = box_scene([0.5, 0.2]);
    let (mut sim, _) = build(&scene);
    for _ in 0..steps_for(1.0) {
        sim.step();
    }
    let (position, rotation) = sim.object_pose(0);
    assert!((position.z - (TABLE_TOP_Z + 0.03)).abs() < 2e-3, "box centre at {position}");
    assert!((position.truncate() - bevy::math::Vec2::new(0.5, 0.2)).length() < 1e-3);
    assert!(rotation.angle_between(Quat::IDENTITY) < 0.01);
    assert!(sim.lifted_objects(0.01).is_empty());
}

#[test]
fn contact_force_matches_weight() {
    for mass_kg in [0.1_f32, 1.0, 5.0] {
        let mut object = object_on_table("box", Shape::Box { size: [0.1, 0.1, 0.1] }, [0.6, 0.3], 0.0);
        object.mass_kg = Some(mass_kg);
        let (mut sim, _) = build(&ready_scene(vec![object]));
        for _ in 0..steps_for(1.0) {
            sim.step();
        }
        let force = super::world::object_support_force_n(&sim, 0, 0);
        let weight = mass_kg * GRAVITY_M_S2;
        assert!((force - weight).abs() < 0.01 * weight, "{mass_kg} kg box: {force} N on the table, weight {weight} N");
    }
}

#[test]
fn suction_does_not_attach_at_a_distance() {
    let scene = box_scene([0.45, 0.0]);
    let (mut sim, arm) = build(&scene);
    // 2 cm above the box top.
    let hover = Vec3::new(0.45, 0.0, TABLE_TOP_Z + 0.06 + 0.02);
    sim.set_joint_targets(&top_down_joints(&arm, &scene, hover));
    // A jump between far-apart targets can sweep the cup through the box, so suction goes
    // on only once the tool hovers.
    for _ in 0..steps_for(1.0) {
        sim.step();
    }
    sim.set_suction(true);
    for _ in 0..steps_for(1.0) {
        sim.step();
    }
    let (tool, _) = sim.tool_pose();
    assert!((tool - hover).length() < 5e-3, "tool at {tool}");
    assert_eq!(sim.attached_object(), None, "events {:?}", sim.suction_events());
    assert!(sim.suction_events().is_empty());
}

#[test]
fn suction_does_not_attach_when_tilted() {
    let scene = box_scene([0.45, 0.0]);
    let (mut sim, arm) = build(&scene);
    let top = TABLE_TOP_Z + 0.06;
    let tilt = Quat::from_rotation_y(40f32.to_radians());
    let tilted_goal = |height: f32| IkGoal {
        position: Vec3::new(0.45, 0.0, height),
        tool_axis: tilt * Vec3::NEG_Z,
        yaw_rad: None,
    };
    let solve = |goal: IkGoal| {
        let solution = solve_ik(&arm, base_pose(&scene), &goal, &READY, &IkParams::default());
        assert!(solution.converged, "{solution:?}");
        solution.joints
    };
    // Come down in two moves so that the swing of the wrist does not knock the box over.
    for height in [top + 0.2, top + 0.05] {
        sim.set_joint_targets(&solve(tilted_goal(height)));
        for _ in 0..steps_for(1.0) {
            sim.step();
        }
    }
    sim.set_suction(true);
    // The cup centre 8 mm above the top face puts the lower rim (0.018 m · sin 40° = 11.6 mm
    // below the centre) about 3.6 mm into the box.
    sim.set_joint_targets(&solve(tilted_goal(top + 0.008)));
    let mut touched = false;
    for _ in 0..steps_for(1.0) {
        sim.step();
        touched |= sim.cup_contact_object() == Some(0);
    }
    assert!(touched, "the tilted cup never touched the box: tool {:?}, box {:?}", sim.tool_pose(), sim.object_pose(0));
    assert_eq!(sim.attached_object(), None);
}

#[test]
fn arm_pressing_on_table_reports_force() {
    let scene = box_scene([0.6, 0.3]);
    let (mut sim, arm) = build(&scene);
    let mut max_force: f32 = 0.0;
    for _ in 0..steps_for(0.5) {
        sim.step();
        max_force = max_force.max(sim.arm_support_contact_force_n());
    }
    assert_eq!(max_force, 0.0, "no contact while the arm is in the air");

    // Command the cup 2 cm below the table top, well away from the box.
    sim.set_joint_targets(&top_down_joints(&arm, &scene, Vec3::new(0.35, -0.2, TABLE_TOP_Z - 0.02)));
    for _ in 0..steps_for(1.5) {
        sim.step();
        max_force = max_force.max(sim.arm_support_contact_force_n());
    }
    assert!(max_force > 20.0, "max arm-table force {max_force} N");
    let (tool, _) = sim.tool_pose();
    assert!(tool.z > TABLE_TOP_Z - 0.005, "the table stops the cup, tool at {tool}");
}

#[test]
fn suction_attaches_on_contact_and_releases() {
    let scene = box_scene([0.45, 0.1]);
    let (mut sim, arm) = build(&scene);
    let top = TABLE_TOP_Z + 0.06;
    sim.set_joint_targets(&top_down_joints(&arm, &scene, Vec3::new(0.45, 0.1, top + 0.05)));
    for _ in 0..steps_for(1.0) {
        sim.step();
    }
    sim.set_suction(true);
    // Press 3 mm into the top face so that the cup reaches it.
    sim.set_joint_targets(&top_down_joints(&arm, &scene, Vec3::new(0.45, 0.1, top - 0.003)));
    for _ in 0..steps_for(1.0) {
        if sim.attached_object().is_some() {
            break;
        }
        sim.step();
    }
    assert_eq!(sim.attached_object(), Some(0));

    sim.set_joint_targets(&top_down_joints(&arm, &scene, Vec3::new(0.45, 0.1, top + 0.15)));
    for _ in 0..steps_for(1.5) {
        sim.step();
    }
    assert_eq!(sim.lifted_objects(0.10), vec![0]);

    sim.set_suction(false);
    for _ in 0..steps_for(1.0) {
        sim.step();
    }
    assert_eq!(sim.attached_object(), None);
    let kinds: Vec<SuctionEventKind> = sim.suction_events().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [SuctionEventKind::Attached, SuctionEventKind::Released]);
    let (position, _) = sim.object_pose(0);
    assert!(position.z < TABLE_TOP_Z + 0.05, "released box should fall back, centre at {position}");
}

/// Lowers the cup onto the 6 cm box at `xy` with suction on, then lifts the tool 15 cm and
/// waits 0.5 s.
fn attach_and_lift(sim: &mut SimWorld, arm: &ArmModel, scene: &Scene, xy: [f32; 2]) {
    let top = TABLE_TOP_Z + 0.06;
    let above = |height: f32| Vec3::new(xy[0], xy[1], height);
    sim.set_joint_targets(&top_down_joints(arm, scene, above(top + 0.05)));
    for _ in 0..steps_for(1.0) {
        sim.step();
    }
    sim.set_suction(true);
    sim.set_joint_targets(&top_down_joints(arm, scene, above(top - 0.003)));
    for _ in 0..steps_for(1.0) {
        if sim.attached_object().is_some() {
            break;
        }
        sim.step();
    }
    // Lift at 0.1 m/s in 5 mm increments: a single 15 cm jump of the targets would throw the
    // object upwards far harder than any pick does.
    for increment in 1..=30 {
        sim.set_joint_targets(&top_down_joints(arm, scene, above(top + 0.005 * increment as f32)));
        for _ in 0..steps_for(0.05) {
            sim.step();
        }
    }
    for _ in 0..steps_for(0.5) {
        sim.step();
    }
}

#[test]
fn suction_pull_matches_weight() {
    let mut object = object_on_table("box", Shape::Box { size: [0.06, 0.06, 0.06] }, [0.45, -0.1], 0.0);
    object.mass_kg = Some(2.0);
    let scene = ready_scene(vec![object]);
    let (mut sim, arm) = build(&scene);
    attach_and_lift(&mut sim, &arm, &scene, [0.45, -0.1]);
    assert_eq!(sim.attached_object(), Some(0), "events {:?}", sim.suction_events());
    let pull = sim.suction_pull_n().expect("the box is attached");
    let weight = 2.0 * GRAVITY_M_S2;
    assert!((pull - weight).abs() < 0.02 * weight, "seal pull {pull} N, weight {weight} N");
}

#[test]
fn heavy_object_breaks_the_seal() {
    let mut object = object_on_table("box", Shape::Box { size: [0.06, 0.06, 0.06] }, [0.45, -0.1], 0.0);
    object.mass_kg = Some(10.0);
    let scene = ready_scene(vec![object]);
    let (mut sim, arm) = build(&scene);
    attach_and_lift(&mut sim, &arm, &scene, [0.45, -0.1]);
    let kinds: Vec<SuctionEventKind> = sim.suction_events().iter().map(|e| e.kind).collect();
    assert_eq!(kinds, [SuctionEventKind::Attached, SuctionEventKind::Lost]);
    assert_eq!(sim.attached_object(), None);
    assert!(sim.lifted_objects(0.02).is_empty());
}

/// Runs a fixed motion script and returns every body pose as raw bits.
fn scripted_run(scene: &Scene) -> Vec<u32> {
    let (mut sim, _) = build(scene);
    sim.set_suction(true);
    for step in 0..steps_for(2.0) {
        if step % 4 == 0 {
            let t = sim.time_s();
            sim.set_joint_targets(&[0.3 * t, 0.3 + 0.4 * t, 1.6, 1.24 - 0.2 * t, 0.1 * t, 0.0]);
        }
        sim.step();
    }
    let mut bits = Vec::new();
    for (position, rotation) in sim.object_poses().into_iter().chain(sim.link_poses()) {
        bits.extend(position.to_array().map(f32::to_bits));
        bits.extend(rotation.to_array().map(f32::to_bits));
    }
    bits.extend(sim.joint_positions().into_iter().map(f32::to_bits));
    bits
}

fn six_object_scene() -> Scene {
    ready_scene(vec![
        object_on_table("box", Shape::Box { size: [0.06, 0.06, 0.06] }, [0.40, 0.0], 10.0),
        object_on_table("can", Shape::Cylinder { radius: 0.03, height: 0.1 }, [0.55, 0.15], 0.0),
        object_on_table("mug", Shape::Mug { radius: 0.04, height: 0.09 }, [0.35, -0.25], 30.0),
        object_on_table("ball", Shape::Ball { radius: 0.03 }, [0.60, -0.10], 0.0),
        object_on_table("bottle", Shape::Bottle { radius: 0.03, height: 0.2 }, [0.45, 0.30], 0.0),
        object_on_table("bowl", Shape::Bowl { radius: 0.07, height: 0.05 }, [0.65, 0.30], 0.0),
    ])
}

#[test]
fn stepping_is_deterministic() {
    let scene = six_object_scene();
    let first = scripted_run(&scene);
    let second = scripted_run(&scene);
    assert_eq!(first, second);
}

#[test]
fn invalid_rate_is_rejected() {
    let scene = box_scene([0.5, 0.0]);
    let arm = ArmModel::load_default().unwrap();
    let layout = Layout::sample(&scene, 0);
    let error = SimWorld::new(&scene, &layout, &arm, 0.0).err().expect("0 Hz is rejected");
    assert!(error.to_string().contains("physics_hz"), "{error}");
}

/// Measures raw stepping speed. Run with
/// `cargo test --release --lib sim::tests::physics_step_rate -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark; prints steps per second"]
fn physics_step_rate() {
    let scene = six_object_scene();
    let (mut sim, _) = build(&scene);
    sim.set_joint_targets(&[0.5, 0.4, 1.5, 1.2, 0.0, 0.0]);
    let steps = 4800;
    let start = Instant::now();
    for _ in 0..steps {
        sim.step();
    }
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{steps} steps of a 6-object scene with the arm in {elapsed:.3} s: {:.0} steps/s",
        steps as f64 / elapsed
    );
}

#[test]
fn cup_touches_ball_top() {
    // A small sphere under a slowly descending cup: contact must register at the top of the
    // sphere, not once the cup is inside it.
    let scene = ready_scene(vec![object_on_table("ball", Shape::Ball { radius: 0.035 }, [0.45, 0.0], 0.0)]);
    let (mut sim, arm) = build(&scene);
    let ball_top = TABLE_TOP_Z + 0.07;
    sim.set_joint_targets(&top_down_joints(&arm, &scene, Vec3::new(0.45, 0.0, ball_top + 0.1)));
    for _ in 0..steps_for(1.0) {
        sim.step();
    }
    let mut first_contact_z = None;
    for i in 0..40 {
        let z = ball_top + 0.04 - 0.002 * i as f32;
        sim.set_joint_targets(&top_down_joints(&arm, &scene, Vec3::new(0.45, 0.0, z)));
        for _ in 0..12 {
            sim.step();
        }
        if sim.cup_contact_object() == Some(0) {
            first_contact_z = Some(sim.tool_pose().0.z);
            break;
        }
    }
    let first_contact_z = first_contact_z.expect("the cup touched the ball");
    assert!((first_contact_z - ball_top).abs() < 3e-3, "first contact with the cup at z = {first_contact_z}");
}
