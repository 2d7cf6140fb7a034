use bevy::math::{Isometry3d, Vec3};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::act::arm::ArmModel;
use crate::act::kinematics::base_pose;
use crate::scene::{Layout, Scene, Shape};
use crate::sim::SimWorld;
use crate::sim::fixtures::{TABLE_TOP_Z, object_on_table, table_scene};

const PHYSICS_HZ: f32 = 240.0;
const CONTROL_HZ: f32 = 60.0;
/// Simulated time limit of one test pick, seconds.
const TIME_LIMIT_S: f32 = 15.0;
/// How long the object must stay held after the controller reaches `Hold`, seconds.
const HOLD_CHECK_S: f32 = 1.0;
/// The success criterion's lift height, metres.
const LIFT_SUCCESS_M: f32 = 0.10;

#[derive(Debug)]
struct PickRun {
    phase: Phase,
    timeline: Vec<PhaseEvent>,
    /// Object lifted by at least `LIFT_SUCCESS_M` and still attached `HOLD_CHECK_S` after Hold.
    success: bool,
    lifted: Vec<usize>,
    attempts: u32,
    /// Largest arm-support contact force seen during the pick, newtons.
    max_support_force_n: f32,
    /// Largest measured joint speed as a fraction of that joint's URDF velocity limit, from
    /// joint positions one control period apart.
    max_joint_speed_ratio: f32,
}

/// Runs one closed-loop pick of `target` with `estimate` computing perception's output from
/// the world at each control step.
fn run_pick(
    scene: &Scene,
    target: usize,
    estimate: impl FnMut(&SimWorld, usize) -> Option<TargetEstimate>,
) -> PickRun {
    run_pick_with(scene, target, PHYSICS_HZ, PickSettings::default(), estimate)
}

fn run_pick_with(
    scene: &Scene,
    target: usize,
    physics_hz: f32,
    settings: PickSettings,
    mut estimate: impl FnMut(&SimWorld, usize) -> Option<TargetEstimate>,
) -> PickRun {
    let arm = ArmModel::load_default().unwrap();
    let layout = Layout::sample(scene, 0);
    let mut sim = SimWorld::new(scene, &layout, &arm, physics_hz).unwrap();
    let base = base_pose(&scene.robot);
    let mut controller = PickController::new(arm, base, settings);
    let steps_per_control = (physics_hz / CONTROL_HZ).round() as u64;
    let mut hold_since: Option<f32> = None;
    let mut max_support_force_n: f32 = 0.0;
    let mut max_joint_speed_ratio: f32 = 0.0;
    let mut previous_joints: Option<Vec<f32>> = None;
    let velocity_limits: Vec<f32> = controller_arm_limits();

    while sim.time_s() < TIME_LIMIT_S {
        if sim.step_count().is_multiple_of(steps_per_control) {
            let joints = sim.joint_positions();
            if let Some(previous) = &previous_joints {
                for ((now, before), limit) in joints.iter().zip(previous).zip(&velocity_limits) {
                    let speed = (now - before).abs() * CONTROL_HZ;
                    max_joint_speed_ratio = max_joint_speed_ratio.max(speed / limit);
                }
            }
            previous_joints = Some(joints.clone());
            let input = ControlInput {
                time_s: sim.time_s(),
                estimate: estimate(&sim, target),
                joint_positions: &joints,
                tool_position: sim.tool_pose().0,
                attached: sim.attached_object().is_some(),
            };
            let command = controller.step(&input);
            sim.set_joint_targets(&command.joint_targets);
            sim.set_suction(command.suction);
        }
        sim.step();
        max_support_force_n = max_support_force_n.max(sim.arm_support_contact_force_n());
        if controller.phase() == Phase::Hold && hold_since.is_none() {
            hold_since = Some(sim.time_s());
        }
        let hold_done = hold_since.is_some_and(|t| sim.time_s() - t >= HOLD_CHECK_S);
        if controller.phase().is_failure() || hold_done {
            break;
        }
    }
    let lifted = sim.lifted_objects(LIFT_SUCCESS_M);
    PickRun {
        phase: controller.phase(),
        timeline: controller.timeline().to_vec(),
        success: hold_since.is_some_and(|t| sim.time_s() - t >= HOLD_CHECK_S)
            && sim.attached_object() == Some(target)
            && lifted == [target],
        lifted,
        attempts: controller.attempts(),
        max_support_force_n,
        max_joint_speed_ratio,
    }
}

fn controller_arm_limits() -> Vec<f32> {
    let arm = ArmModel::load_default().unwrap();
    arm.joints.iter().map(|j| j.max_velocity_rad_s).collect()
}

fn true_centre(sim: &SimWorld, target: usize) -> Option<TargetEstimate> {
    Some(TargetEstimate {
        position: sim.object_pose(target).0,
        confidence: 1.0,
    })
}

fn small_box() -> Shape {
    Shape::Box { size: [0.06, 0.06, 0.06] }
}

fn phases(run: &PickRun) -> Vec<Phase> {
    run.timeline.iter().map(|e| e.phase).collect()
}

#[test]
fn picks_box_at_known_position() {
    let scene = table_scene(vec![object_on_table("box", small_box(), [0.45, 0.1], 20.0)]);
    let run = run_pick(&scene, 0, true_centre);
    assert!(run.success, "{run:?}");
    assert_eq!(
        phases(&run),
        [Phase::Approach, Phase::PreGrasp, Phase::Descend, Phase::Attach, Phase::Lift, Phase::Hold]
    );
    let times: Vec<f32> = run.timeline.iter().map(|e| e.time_s).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
}

#[test]
fn picks_seeded_placements() {
    let shapes = [
        small_box(),
        Shape::Cylinder { radius: 0.03, height: 0.11 },
        Shape::Mug { radius: 0.04, height: 0.09 },
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(2024);
    let mut failures = Vec::new();
    let mut max_speed_ratio: f32 = 0.0;
    let placements = 20;
    for i in 0..placements {
        let shape = shapes[i % shapes.len()];
        // Inside the top-down reach region: 0.30 to 0.60 m ahead, at most 0.60 m from the base.
        let (x, y) = loop {
            let x: f32 = rng.random_range(0.30..0.60);
            let y: f32 = rng.random_range(-0.30..0.30);
            if x.hypot(y) <= 0.60 {
                break (x, y);
            }
        };
        let yaw = rng.random_range(-90.0..90.0);
        let scene = table_scene(vec![
            object_on_table("target", shape, [x, y], yaw),
            // A neighbour that must stay on the table.
            object_on_table("other", small_box(), [x, if y > 0.0 { y - 0.18 } else { y + 0.18 }], 0.0),
        ]);
        let run = run_pick(&scene, 0, true_centre);
        if !run.success {
            failures.push(format!("{} at ({x:.2}, {y:.2}) yaw {yaw:.0}: {:?}", shape.kind_name(), phases(&run)));
        }
        assert_eq!(run.max_support_force_n, 0.0, "pick {i} pressed on the table: {run:?}");
        assert!(run.max_joint_speed_ratio <= 1.0, "pick {i} exceeded a joint velocity limit: {run:?}");
        assert!(!run.lifted.contains(&1), "pick {i} lifted the neighbour: {run:?}");
        max_speed_ratio = max_speed_ratio.max(run.max_joint_speed_ratio);
    }
    println!("{} of {placements} picks failed: {failures:#?}", failures.len());
    println!("largest joint speed: {max_speed_ratio:.2} of the URDF limit");
    assert!(failures.len() <= 1, "more than 5 % of picks failed: {failures:#?}");
}

#[test]
fn picks_from_top_surface_estimate() {
    let scene = table_scene(vec![object_on_table(
        "can",
        Shape::Cylinder { radius: 0.03, height: 0.12 },
        [0.5, -0.15],
        0.0,
    )]);
    let run = run_pick(&scene, 0, |sim, target| {
        Some(TargetEstimate {
            position: sim.object_pose(target).0 + Vec3::Z * 0.06,
            confidence: 0.9,
        })
    });
    assert!(run.success, "{run:?}");
}

#[test]
fn picks_at_other_physics_rates() {
    let scene = table_scene(vec![object_on_table("mug", Shape::Mug { radius: 0.04, height: 0.09 }, [0.5, 0.2], 45.0)]);
    for physics_hz in [120.0, 1200.0] {
        let run = run_pick_with(&scene, 0, physics_hz, PickSettings::default(), true_centre);
        assert!(run.success, "at {physics_hz} Hz: {run:?}");
    }
}

#[test]
fn wrong_estimate_does_not_lift() {
    let scene = table_scene(vec![object_on_table("box", small_box(), [0.45, 0.0], 0.0)]);
    // The estimate is 20 cm to the side of the box, over empty table.
    let run = run_pick(&scene, 0, |_, _| {
        Some(TargetEstimate {
            position: Vec3::new(0.45, 0.2, TABLE_TOP_Z + 0.03),
            confidence: 1.0,
        })
    });
    assert_eq!(run.phase, Phase::GraspFailed, "{run:?}");
    assert_eq!(run.attempts, PickSettings::default().max_grasp_attempts);
    assert!(run.lifted.is_empty());
    assert!(!run.success);
}

#[test]
fn missing_estimate_reports_target_not_found() {
    let scene = table_scene(vec![object_on_table("box", small_box(), [0.45, 0.0], 0.0)]);
    let run = run_pick(&scene, 0, |_, _| None);
    assert_eq!(phases(&run), [Phase::Approach, Phase::TargetNotFound]);
    let timeout = PickSettings::default().target_timeout_s;
    let end = run.timeline[1].time_s;
    assert!(end > timeout, "ended at {end} s");
    assert!(end < timeout + 0.1, "ended at {end} s");
}

#[test]
fn estimate_lost_during_descent_is_tolerated() {
    // Perception stops reporting the box once the cup is within 25 cm of it, as when the arm
    // hides it from the camera, and never reports it again. The descent takes longer than the
    // 1 s timeout.
    let scene = table_scene(vec![object_on_table("box", small_box(), [0.45, -0.1], 0.0)]);
    let settings = PickSettings { target_timeout_s: 1.0, ..PickSettings::default() };
    let run = run_pick_with(&scene, 0, PHYSICS_HZ, settings, |sim, target| {
        let position = sim.object_pose(target).0;
        let hidden = sim.tool_pose().0.distance(position) < 0.25;
        (!hidden).then_some(TargetEstimate { position, confidence: 1.0 })
    });
    assert!(run.success, "{run:?}");
}

#[test]
fn low_confidence_counts_as_missing() {
    let scene = table_scene(vec![object_on_table("box", small_box(), [0.45, 0.0], 0.0)]);
    let run = run_pick(&scene, 0, |sim, target| {
        Some(TargetEstimate {
            position: sim.object_pose(target).0,
            confidence: 0.1,
        })
    });
    assert_eq!(run.phase, Phase::TargetNotFound);
}

#[test]
fn unreachable_target_is_reported() {
    let scene = table_scene(vec![object_on_table("box", small_box(), [0.95, 0.5], 0.0)]);
    let run = run_pick(&scene, 0, true_centre);
    assert_eq!(run.phase, Phase::Unreachable, "{run:?}");
}

#[test]
fn estimate_that_moves_is_followed() {
    // Perception first reports a wrong position, then corrects it after 1.5 s.
    let scene = table_scene(vec![object_on_table("box", small_box(), [0.40, -0.2], 0.0)]);
    let run = run_pick(&scene, 0, |sim, target| {
        let position = if sim.time_s() < 1.5 {
            Vec3::new(0.50, 0.25, TABLE_TOP_Z + 0.03)
        } else {
            sim.object_pose(target).0
        };
        Some(TargetEstimate { position, confidence: 0.8 })
    });
    assert!(run.success, "{run:?}");
}

#[test]
fn heavy_object_is_dropped() {
    // 10 kg pulls with about 98 N, above the default 60 N the suction seal holds.
    let mut object = object_on_table("box", small_box(), [0.45, 0.1], 0.0);
    object.mass_kg = Some(10.0);
    let scene = table_scene(vec![object]);
    let run = run_pick(&scene, 0, true_centre);
    assert_eq!(run.phase, Phase::Dropped, "{run:?}");
    assert!(phases(&run).contains(&Phase::Attach), "{run:?}");
    assert!(run.lifted.is_empty());
}

#[test]
fn drop_is_detected() {
    let arm = ArmModel::load_default().unwrap();
    let mut controller = PickController::new(arm.clone(), Isometry3d::IDENTITY, PickSettings::default());
    let joints = arm.home_joints();
    let estimate = Some(TargetEstimate { position: Vec3::new(0.4, 0.0, 0.03), confidence: 1.0 });
    // Drive the state machine into Attach with a reported seal, then report the seal lost.
    controller.phase = Phase::Descend;
    controller.timeline.push(PhaseEvent { phase: Phase::Descend, time_s: 0.0 });
    let mut input = ControlInput {
        time_s: 0.1,
        estimate,
        joint_positions: &joints,
        tool_position: Vec3::new(0.4, 0.0, 0.06),
        attached: true,
    };
    controller.step(&input);
    assert_eq!(controller.phase(), Phase::Attach);
    input.time_s = 0.2;
    input.attached = false;
    let command = controller.step(&input);
    assert_eq!(controller.phase(), Phase::Dropped);
    assert!(!command.suction);
}

#[test]
fn picks_from_raised_turned_base() {
    // A shelf-like setup: the base is on a pedestal level with a board 0.5 m higher than the
    // table, turned 30 degrees, and the object is on that board.
    let mut scene: Scene = table_scene(vec![object_on_table("box", small_box(), [0.45, 0.1], 0.0)]);
    let board_top = TABLE_TOP_Z + 0.5;
    scene.supports[0].position[2] += 0.5;
    scene.robot.base_position[2] = board_top;
    scene.robot.base_yaw_deg = 30.0;
    let run = run_pick(&scene, 0, true_centre);
    assert!(run.success, "{run:?}");
}

#[test]
fn timeline_serialises_phase_names() {
    let event = PhaseEvent { phase: Phase::PreGrasp, time_s: 1.5 };
    let json = serde_json::to_string(&event).unwrap();
    assert_eq!(json, r#"{"phase":"pre_grasp","time_s":1.5}"#);
    let estimate = TargetEstimate { position: Vec3::new(0.5, 0.0, 0.8), confidence: 0.9 };
    let back: TargetEstimate = serde_json::from_str(&serde_json::to_string(&estimate).unwrap()).unwrap();
    assert_eq!(back, estimate);
}

/// Sweeps many placements of five shapes with a noisy estimate that arrives at 10 Hz (`None`
/// in between), as perception would deliver it, and prints the success rate. Run with
/// `cargo test --release --lib act::controller::tests::pick_sweep -- --ignored --nocapture`.
#[test]
#[ignore = "sweep; prints the success rate"]
fn pick_sweep_with_noisy_estimates() {
    let shapes = [
        small_box(),
        Shape::Cylinder { radius: 0.03, height: 0.11 },
        Shape::Mug { radius: 0.04, height: 0.09 },
        Shape::Bottle { radius: 0.035, height: 0.2 },
        Shape::Ball { radius: 0.035 },
    ];
    let noise_m = 0.005;
    let perception_period_s = 0.1;
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let placements = 100;
    let mut successes = 0;
    for i in 0..placements {
        let shape = shapes[i % shapes.len()];
        let (x, y) = loop {
            let x: f32 = rng.random_range(0.30..0.62);
            let y: f32 = rng.random_range(-0.35..0.35);
            if x.hypot(y) <= 0.62 {
                break (x, y);
            }
        };
        let yaw = rng.random_range(-180.0..180.0);
        let scene = table_scene(vec![object_on_table("target", shape, [x, y], yaw)]);
        let mut noise_rng = ChaCha8Rng::seed_from_u64(i as u64);
        let mut next_frame_s = 0.0;
        let run = run_pick(&scene, 0, |sim, target| {
            if sim.time_s() + 1e-4 < next_frame_s {
                return None;
            }
            next_frame_s += perception_period_s;
            let noise = Vec3::new(
                noise_rng.random_range(-noise_m..noise_m),
                noise_rng.random_range(-noise_m..noise_m),
                noise_rng.random_range(-noise_m..noise_m),
            );
            Some(TargetEstimate { position: sim.object_pose(target).0 + noise, confidence: 0.8 })
        });
        if run.success {
            successes += 1;
        } else {
            println!("failed: {} at ({x:.2}, {y:.2}) yaw {yaw:.0}: {:?}", shape.kind_name(), phases(&run));
        }
    }
    println!("{successes} of {placements} picks held the object");
}

#[test]
fn picks_under_shelf_board() {
    // A shelf bay 0.5 m high in front of the arm: the object's board starts 0.25 m ahead of the
    // base at base height, and the next board is 0.5 m above it. From the home pose (straight
    // up) the arm would sweep through the upper board, so the arm starts tucked.
    let clearance = 0.5;
    for x in [0.40, 0.50, 0.55] {
        let mut scene: Scene = table_scene(vec![object_on_table("box", small_box(), [x, 0.05], 0.0)]);
        scene.supports[0].size = [0.6, 1.2, 0.02];
        scene.supports[0].position = [0.55, 0.0, TABLE_TOP_Z - 0.01];
        let mut upper = scene.supports[0].clone();
        upper.id = "upper".into();
        upper.position[2] += clearance + 0.02;
        scene.supports.push(upper);
        scene.robot.start_joints = PickSettings::default().ik_seed;

        let run = run_pick(&scene, 0, true_centre);

        assert!(run.success, "box at x = {x}: {run:?}");
        assert_eq!(run.max_support_force_n, 0.0, "box at x = {x}: the arm touched a board");
    }
}
