//! A scene with every object shape, built through `scene_bodies`, and the capture rate.

use std::path::PathBuf;
use std::time::Instant;

use bevy::math::{Quat, Vec3};
use pickloop::observe::camera::camera_pose;
use pickloop::observe::frame::object_instance_id;
use pickloop::observe::render::{RenderSettings, Renderer, scene_bodies, scene_start_poses};
use pickloop::observe::{CameraModel, Intrinsics};
use pickloop::scene::{Layout, Scene};

const SCENE: &str = r#"(
    name: "all_shapes",
    kind: Tabletop,
    instruction: "pick the mug",
    target: "mug",
    time_limit_s: 10.0,
    supports: [
        (id: "table", size: (1.2, 0.8, 0.04), position: (0.5, 0.0, 0.73)),
    ],
    objects: [
        (id: "box", shape: Box(size: (0.08, 0.06, 0.1)), material: (color: (0.85, 0.15, 0.1)), on: "table", xy: (0.25, -0.2)),
        (id: "can", shape: Cylinder(radius: 0.033, height: 0.12), material: (color: (0.9, 0.8, 0.1)), on: "table", xy: (0.4, -0.25)),
        (id: "mug", shape: Mug(radius: 0.04, height: 0.1), material: (color: (0.1, 0.5, 0.9)), on: "table", xy: (0.55, -0.15), yaw_deg: 30.0),
        (id: "bowl", shape: Bowl(radius: 0.08, height: 0.05), material: (color: (0.2, 0.7, 0.3)), on: "table", xy: (0.35, 0.05)),
        (id: "ball", shape: Ball(radius: 0.035), material: (color: (0.9, 0.4, 0.1)), on: "table", xy: (0.6, 0.05)),
        (id: "bottle", shape: Bottle(radius: 0.035, height: 0.22), material: (color: (0.3, 0.8, 0.8), roughness: 0.2), on: "table", xy: (0.7, -0.3)),
        (id: "bin", shape: Bin(size: (0.25, 0.18, 0.1), wall: 0.01), material: (color: (0.5, 0.5, 0.55)), on: "table", xy: (0.55, 0.25)),
        (id: "metal", shape: Cylinder(radius: 0.03, height: 0.05), material: (color: (0.8, 0.8, 0.8), metallic: 1.0, roughness: 0.3), on: "table", xy: (0.2, 0.2)),
        (id: "box2", shape: Box(size: (0.05, 0.05, 0.05)), material: (color: (0.6, 0.2, 0.7)), on: "table", xy: (0.8, 0.0), yaw_deg: 45.0),
    ],
    cameras: [
        (id: "front", trajectory: Static(eye: (1.15, 0.0, 1.25), look_at: (0.5, 0.0, 0.75))),
    ],
    view: "front",
)"#;

fn scene() -> Scene {
    ron::from_str(SCENE).expect("test scene parses")
}

fn front_camera(scene: &Scene) -> CameraModel {
    let camera = &scene.cameras[0];
    CameraModel {
        intrinsics: Intrinsics::from_vertical_fov(scene.image, camera.fov_y_deg.to_radians()),
        pose: camera_pose(camera, 0.0, (Vec3::ZERO, Quat::IDENTITY), 0),
    }
}

fn renderer(scene: &Scene, layout: &Layout) -> Renderer {
    let settings = RenderSettings {
        size: scene.image,
        background: scene.background,
        lights: scene.lights.clone(),
        assets_dir: PathBuf::from("assets"),
    };
    Renderer::new(settings, &scene_bodies(scene, layout)).expect("renderer starts")
}

#[test]
fn every_shape_is_visible() {
    let scene = scene();
    let layout = Layout::sample(&scene, 7);
    let mut renderer = renderer(&scene, &layout);
    let camera = front_camera(&scene);
    let frame = renderer
        .capture(
            &scene_start_poses(&scene, &layout),
            &[("front".to_owned(), camera)],
            0,
            0.0,
        )
        .expect("capture succeeds")
        .remove(0);

    for (index, object) in layout.objects.iter().enumerate() {
        let id = object_instance_id(index);
        let pixels = frame
            .instances
            .data
            .iter()
            .filter(|&&pixel| pixel == id)
            .count();
        assert!(
            pixels > 20,
            "object {} covers only {pixels} pixels",
            object.id
        );
        // The ray through the object's centre hits a surface inside its bounding sphere
        // (hollow shapes such as the bowl and bin show their floor behind the centre).
        let (pixel, centre_depth) = camera.project(object.position).expect("object in view");
        let depth = frame.depth.get(pixel.x as u32, pixel.y as u32);
        let radius = object
            .shape
            .footprint_radius()
            .hypot(0.5 * object.shape.height());
        assert!(
            (depth - centre_depth).abs() <= radius,
            "{}: depth {depth} m, centre at {centre_depth} m, bounding radius {radius} m",
            object.id
        );
    }

    if let Some(dir) = std::env::var_os("PICKLOOP_TEST_FRAMES_DIR") {
        frame
            .save_png(&PathBuf::from(dir), "all_shapes")
            .expect("frames save");
    }
}

/// Capture rate for one 224x224 camera and ten bodies, with an object moving every frame.
/// Run: `cargo test --release --test render_scene -- --ignored --nocapture capture_rate`.
#[test]
#[ignore = "benchmark; prints frames per second"]
fn capture_rate() {
    let scene = scene();
    let layout = Layout::sample(&scene, 7);
    let mut renderer = renderer(&scene, &layout);
    let camera = front_camera(&scene);
    let mut poses = scene_start_poses(&scene, &layout);
    let cameras = [("front".to_owned(), camera)];
    let frames = 60;
    let start = Instant::now();
    for step in 0..frames {
        poses[1].position.x += 0.002;
        renderer
            .capture(&poses, &cameras, step, 0.0)
            .expect("capture succeeds");
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "{frames} captures of {} bodies at {}x{} in {seconds:.2} s: {:.1} frames/s",
        poses.len(),
        scene.image.width,
        scene.image.height,
        frames as f64 / seconds
    );
}
