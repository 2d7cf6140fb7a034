use super::*;
use crate::act::arm::ArmModel;

#[test]
fn layout_jitter_widens_every_object() {
    let scene = mugs();
    let result = perturb(&scene, Axis::LayoutJitter, 0.01, 1).scene;
    for (before, after) in scene.objects.iter().zip(&result.objects) {
        let old = before.jitter.map_or(0.0, |j| j.xy_m);
        let new = after.jitter.expect("jitter set").xy_m;
        assert!(
            (new - old - 0.01).abs() < 1e-6,
            "{}: {old} -> {new}",
            before.id
        );
    }
    let message = failure(&scene, Axis::LayoutJitter, 0.3);
    assert!(message.contains("smaller magnitude"), "{message}");
    assert!(message.contains("layout_jitter=0.3m"), "{message}");
}

#[test]
fn arm_start_offsets_within_limits() {
    let scene = mugs();
    let arm = ArmModel::load_default().expect("arm loads");
    let home = arm.home_joints();
    let result = perturb(&scene, Axis::ArmStart, 0.2, 4).scene;
    let joints = result.robot.start_joints.expect("start joints set");
    assert_eq!(joints.len(), arm.dof());
    for ((joint, start), model) in joints.iter().zip(&home).zip(&arm.joints) {
        assert!(
            *joint >= model.lower_rad,
            "{} below its lower limit",
            model.name
        );
        assert!(
            *joint <= model.upper_rad,
            "{} above its upper limit",
            model.name
        );
        let unclamped = (joint - start).abs();
        let at_limit = *joint == model.lower_rad || *joint == model.upper_rad;
        assert!(
            (unclamped - 0.2).abs() < 1e-6 || at_limit,
            "{} moved {unclamped} rad",
            model.name
        );
    }
    let huge = perturb(&scene, Axis::ArmStart, 100.0, 4)
        .scene
        .robot
        .start_joints
        .expect("set");
    for (joint, model) in huge.iter().zip(&arm.joints) {
        assert!(
            *joint == model.lower_rad || *joint == model.upper_rad,
            "{} not clamped",
            model.name
        );
    }
    let other = perturb(&scene, Axis::ArmStart, 0.2, 5)
        .scene
        .robot
        .start_joints;
    assert_ne!(Some(joints), other, "another seed gives other signs");
}
