use std::path::Path;

use bevy::math::Vec3;

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
