use bevy::math::Vec3;

use super::*;
use crate::perturb::camera::{MAX_ELEVATION_DEG, elevation_deg};
use crate::scene::Trajectory;

/// Returns the view camera's eye and look-at point of a Static trajectory.
fn static_eye(scene: &Scene) -> (Vec3, Vec3) {
    let camera = scene
        .cameras
        .iter()
        .find(|c| c.id == scene.view)
        .expect("view camera");
    match camera.trajectory {
        Trajectory::Static { eye, look_at } => (Vec3::from(eye), Vec3::from(look_at)),
        ref other => panic!("expected a Static view camera, found {other:?}"),
    }
}

fn bearing_deg(offset: Vec3) -> f64 {
    f64::from(offset.y).atan2(f64::from(offset.x)).to_degrees()
}

/// Wraps an angle difference into -180..180 degrees.
fn wrapped(degrees: f64) -> f64 {
    (degrees + 180.0).rem_euclid(360.0) - 180.0
}

#[test]
fn azimuth_turns_eye_by_magnitude() {
    let scene = mugs();
    let (eye, look_at) = static_eye(&scene);
    for degrees in [10.0, -35.0, 90.0] {
        let (new_eye, new_look_at) =
            static_eye(&perturb(&scene, Axis::CameraAzimuth, degrees, 1).scene);
        assert_eq!(new_look_at, look_at);
        let turned = wrapped(bearing_deg(new_eye - look_at) - bearing_deg(eye - look_at));
        assert!(
            (turned - degrees).abs() < 1e-3,
            "turned {turned} deg for {degrees}"
        );
        assert!((new_eye.z - eye.z).abs() < 1e-5, "height changed");
        assert!(((new_eye - look_at).length() - (eye - look_at).length()).abs() < 1e-5);
    }
}

#[test]
fn elevation_changes_by_magnitude_and_clamps() {
    let scene = mugs();
    let (eye, look_at) = static_eye(&scene);
    let before = elevation_deg(eye - look_at);
    let (raised, _) = static_eye(&perturb(&scene, Axis::CameraElevation, 12.0, 1).scene);
    assert!((elevation_deg(raised - look_at) - before - 12.0).abs() < 1e-3);
    assert!(((raised - look_at).length() - (eye - look_at).length()).abs() < 1e-5);
    assert!(wrapped(bearing_deg(raised - look_at) - bearing_deg(eye - look_at)).abs() < 1e-3);
    let (top, _) = static_eye(&perturb(&scene, Axis::CameraElevation, 200.0, 1).scene);
    assert!((elevation_deg(top - look_at) - MAX_ELEVATION_DEG).abs() < 1e-3);
}

#[test]
fn distance_moves_eye_along_ray() {
    let scene = mugs();
    let (eye, look_at) = static_eye(&scene);
    let (farther, _) = static_eye(&perturb(&scene, Axis::CameraDistance, 0.25, 1).scene);
    let gained = (farther - look_at).length() - (eye - look_at).length();
    assert!((gained - 0.25).abs() < 1e-5, "gained {gained} m");
    assert!(
        (farther - look_at)
            .normalize()
            .distance((eye - look_at).normalize())
            < 1e-5
    );
    let message = failure(&scene, Axis::CameraDistance, -5.0);
    assert!(message.contains("closer than the minimum"), "{message}");
}

#[test]
fn orbit_camera_changes_parameters() {
    let scene = shipped("tabletop_orbit");
    let orbit = |scene: &Scene| {
        let camera = scene
            .cameras
            .iter()
            .find(|c| c.id == scene.view)
            .expect("view camera");
        match camera.trajectory {
            Trajectory::Orbit {
                radius_m,
                height_m,
                start_deg,
                speed_deg_s,
                ..
            } => (radius_m, height_m, start_deg, speed_deg_s),
            ref other => panic!("expected an orbit, found {other:?}"),
        }
    };
    let (radius, height, start, speed) = orbit(&scene);
    let (_, _, turned, _) = orbit(&perturb(&scene, Axis::CameraAzimuth, 30.0, 1).scene);
    assert!((turned - start - 30.0).abs() < 1e-4);
    let (_, _, _, faster) = orbit(&perturb(&scene, Axis::CameraSpeed, 7.0, 1).scene);
    assert!((faster - speed - 7.0).abs() < 1e-4);
    let (r, h, _, _) = orbit(&perturb(&scene, Axis::CameraDistance, 0.2, 1).scene);
    assert!((r.hypot(h) - radius.hypot(height) - 0.2).abs() < 1e-4);
}

#[test]
fn speed_turns_static_into_orbit() {
    let scene = mugs();
    let (eye, look_at) = static_eye(&scene);
    let result = perturb(&scene, Axis::CameraSpeed, 15.0, 1).scene;
    let camera = result
        .cameras
        .iter()
        .find(|c| c.id == result.view)
        .expect("view camera");
    let start_pose = crate::observe::camera::camera_pose(
        camera,
        0.0,
        (Vec3::ZERO, bevy::math::Quat::IDENTITY),
        0,
    );
    assert!(
        start_pose.position.distance(eye) < 1e-4,
        "orbit starts at {} not {eye}",
        start_pose.position
    );
    let later = crate::observe::camera::camera_pose(
        camera,
        2.0,
        (Vec3::ZERO, bevy::math::Quat::IDENTITY),
        0,
    );
    let turned = wrapped(bearing_deg(later.position - look_at) - bearing_deg(eye - look_at));
    assert!((turned - 30.0).abs() < 1e-2, "turned {turned} deg in 2 s");
}

#[test]
fn wrist_view_camera_rejected() {
    let mut scene = mugs();
    scene.view = "wrist".to_owned();
    for axis in [
        Axis::CameraAzimuth,
        Axis::CameraElevation,
        Axis::CameraDistance,
        Axis::CameraSpeed,
    ] {
        let message = failure(&scene, axis, 10.0);
        assert!(message.contains("wrist-mounted"), "{axis}: {message}");
        assert!(message.contains(axis.name()), "{axis}: {message}");
    }
}
