//! Headless rendering against analytic geometry: colour, ids and depth at projected points,
//! frames that follow pose changes, several cameras and the background.
//!
//! Runs on whatever Vulkan adapter wgpu finds (Mesa lavapipe on CPU-only machines).

use std::path::PathBuf;
use std::sync::Mutex;

use bevy::math::{Quat, Vec2, Vec3};
use pickloop::observe::frame::{BACKGROUND_ID, SUPPORT_ID_BASE};
use pickloop::observe::render::{
    BodyKind, BodyPose, Geometry, RenderSettings, Renderer, VisualBody, VisualPart,
};
use pickloop::observe::{CameraModel, CameraPose, Frame, Intrinsics};
use pickloop::scene::{ImageSize, Light, Material};

/// lavapipe uses every core for one frame, so renderers in parallel tests only slow each other.
static GPU: Mutex<()> = Mutex::new(());

const SIZE: ImageSize = ImageSize {
    width: 224,
    height: 224,
};
const BACKGROUND: [f32; 3] = [0.55, 0.6, 0.65];

const TABLE_SIZE: Vec3 = Vec3::new(1.2, 0.8, 0.04);
const TABLE_CENTER: Vec3 = Vec3::new(0.5, 0.0, 0.73);
const BOX_SIZE: Vec3 = Vec3::new(0.1, 0.12, 0.08);
const RED: [f32; 3] = [0.85, 0.1, 0.1];
const BLUE: [f32; 3] = [0.1, 0.2, 0.85];

fn table_top() -> f32 {
    TABLE_CENTER.z + 0.5 * TABLE_SIZE.z
}

fn material(color: [f32; 3]) -> Material {
    Material {
        color,
        roughness: 0.7,
        metallic: 0.0,
        texture: None,
    }
}

/// Builds a table (support 0), a red box (object 0) and a blue cylinder (object 1).
fn bodies() -> Vec<VisualBody> {
    vec![
        VisualBody {
            kind: BodyKind::Support(0),
            parts: vec![VisualPart::at_origin(
                Geometry::Box { size: TABLE_SIZE },
                material([0.6, 0.5, 0.4]),
            )],
        },
        VisualBody {
            kind: BodyKind::Object(0),
            parts: vec![VisualPart::at_origin(
                Geometry::Box { size: BOX_SIZE },
                material(RED),
            )],
        },
        VisualBody {
            kind: BodyKind::Object(1),
            parts: vec![VisualPart::at_origin(
                Geometry::Cylinder {
                    radius: 0.04,
                    length: 0.15,
                },
                material(BLUE),
            )],
        },
    ]
}

fn poses(box_xy: Vec2, box_yaw: f32) -> Vec<BodyPose> {
    vec![
        BodyPose::new(TABLE_CENTER, Quat::IDENTITY),
        BodyPose::new(
            Vec3::new(box_xy.x, box_xy.y, table_top() + 0.5 * BOX_SIZE.z),
            Quat::from_rotation_z(box_yaw),
        ),
        BodyPose::new(Vec3::new(0.65, -0.2, table_top() + 0.075), Quat::IDENTITY),
    ]
}

fn renderer() -> Renderer {
    renderer_with_light([-0.3, 0.2, -1.0], false)
}

fn renderer_with_light(direction: [f32; 3], shadows: bool) -> Renderer {
    let settings = RenderSettings {
        size: SIZE,
        background: BACKGROUND,
        lights: vec![Light::Directional {
            illuminance_lux: 6000.0,
            color: [1.0, 1.0, 1.0],
            direction,
            shadows,
        }],
        assets_dir: PathBuf::from("assets"),
    };
    Renderer::new(settings, &bodies()).expect("renderer starts on the installed adapter")
}

fn camera(eye: Vec3, target: Vec3) -> CameraModel {
    CameraModel {
        intrinsics: Intrinsics::from_vertical_fov(SIZE, 55f32.to_radians()),
        pose: CameraPose::look_at(eye, target),
    }
}

fn front_camera() -> CameraModel {
    camera(Vec3::new(1.1, 0.3, 1.3), Vec3::new(0.5, 0.0, 0.75))
}

fn capture_one(renderer: &mut Renderer, poses: &[BodyPose], camera: CameraModel) -> Frame {
    renderer
        .capture(poses, &[("front".to_owned(), camera)], 0, 0.0)
        .expect("capture succeeds")
        .remove(0)
}

/// Pixel that contains the projection of `point`.
fn pixel_of(camera: &CameraModel, point: Vec3) -> (u32, u32) {
    let (pixel, _) = camera
        .project(point)
        .expect("point is in front of the camera");
    (pixel.x.floor() as u32, pixel.y.floor() as u32)
}

/// Depth along the optical axis where the ray through the centre of pixel `(u, v)` meets the
/// horizontal plane at height `z`.
fn plane_depth(camera: &CameraModel, (u, v): (u32, u32), z: f32) -> f32 {
    let origin = camera.pose.position;
    let at_unit_depth = camera.unproject(u, v, 1.0) - origin;
    (z - origin.z) / at_unit_depth.z
}

fn assert_red(frame: &Frame, (u, v): (u32, u32)) {
    let [r, g, b] = frame.rgb.get_pixel(u, v).0;
    assert!(
        i32::from(r) > i32::from(g) + 40 && i32::from(r) > i32::from(b) + 40,
        "pixel ({u}, {v}) should be red, got ({r}, {g}, {b})"
    );
}

#[test]
fn box_top_matches_projection() {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut renderer = renderer();
    let camera = front_camera();
    let box_xy = Vec2::new(0.45, 0.05);
    let frame = capture_one(&mut renderer, &poses(box_xy, 0.0), camera);

    let top = table_top() + BOX_SIZE.z;
    let centre = Vec3::new(box_xy.x, box_xy.y, top);
    let centre_pixel = pixel_of(&camera, centre);
    assert_red(&frame, centre_pixel);
    assert_eq!(frame.instances.get(centre_pixel.0, centre_pixel.1), 1);

    // A grid over the inner part of the top face: every pixel is the box, at the plane depth.
    for fx in [-0.3f32, 0.0, 0.3] {
        for fy in [-0.3f32, 0.0, 0.3] {
            let point = centre + Vec3::new(fx * BOX_SIZE.x, fy * BOX_SIZE.y, 0.0);
            let pixel = pixel_of(&camera, point);
            assert_eq!(frame.instances.get(pixel.0, pixel.1), 1, "id at {pixel:?}");
            let expected = plane_depth(&camera, pixel, top);
            let depth = frame.depth.get(pixel.0, pixel.1);
            assert!(
                (depth - expected).abs() < 0.01,
                "depth at {pixel:?}: rendered {depth} m, analytic {expected} m"
            );
        }
    }
}

#[test]
fn table_top_depth_matches_plane() {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut renderer = renderer();
    let camera = front_camera();
    let frame = capture_one(&mut renderer, &poses(Vec2::new(0.45, 0.05), 0.0), camera);

    for point in [
        Vec3::new(0.3, -0.25, table_top()),
        Vec3::new(0.75, 0.25, table_top()),
        Vec3::new(0.2, 0.3, table_top()),
    ] {
        let pixel = pixel_of(&camera, point);
        assert_eq!(
            frame.instances.get(pixel.0, pixel.1),
            SUPPORT_ID_BASE,
            "id at {pixel:?}"
        );
        let expected = plane_depth(&camera, pixel, table_top());
        let depth = frame.depth.get(pixel.0, pixel.1);
        assert!(
            (depth - expected).abs() < 0.01,
            "depth at {pixel:?}: rendered {depth} m, analytic {expected} m"
        );
    }
}

#[test]
fn frame_follows_moved_box() {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut renderer = renderer();
    let camera = front_camera();
    let top = table_top() + BOX_SIZE.z;
    let positions = [
        Vec2::new(0.45, 0.05),
        Vec2::new(0.3, -0.2),
        Vec2::new(0.7, 0.2),
        Vec2::new(0.3, 0.25),
        Vec2::new(0.45, 0.05),
    ];
    for (step, pair) in positions.windows(2).enumerate() {
        let (old, new) = (pair[0], pair[1]);
        // Render the old pose once, then the new one: the second frame must not lag.
        capture_one(&mut renderer, &poses(old, 0.0), camera);
        let frames = renderer
            .capture(
                &poses(new, 0.0),
                &[("front".to_owned(), camera)],
                step as u64,
                0.1,
            )
            .expect("capture succeeds");
        let frame = &frames[0];
        assert_eq!(frame.step, step as u64);

        let new_pixel = pixel_of(&camera, new.extend(top));
        let old_pixel = pixel_of(&camera, old.extend(top));
        assert_eq!(
            frame.instances.get(new_pixel.0, new_pixel.1),
            1,
            "box at new pose {new}"
        );
        assert_red(frame, new_pixel);
        assert_ne!(
            frame.instances.get(old_pixel.0, old_pixel.1),
            1,
            "box left {old}"
        );
    }
}

#[test]
fn frame_follows_moved_camera() {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut renderer = renderer();
    let box_xy = Vec2::new(0.45, 0.05);
    // The top face is lit by the overhead light from every side, so its hue is reliable.
    let box_top = box_xy.extend(table_top() + BOX_SIZE.z);
    let body_poses = poses(box_xy, 0.3);
    let target = Vec3::new(0.5, 0.0, 0.75);
    let mut previous_centre: Option<(u32, u32)> = None;
    for (step, angle_deg) in [0.0f32, 70.0, 140.0, 210.0, 280.0].into_iter().enumerate() {
        let angle = angle_deg.to_radians();
        let eye = target + Vec3::new(0.8 * angle.cos(), 0.8 * angle.sin(), 0.6);
        let camera = camera(eye, target);
        let frame = renderer
            .capture(
                &body_poses,
                &[("orbit".to_owned(), camera)],
                step as u64,
                0.0,
            )
            .expect("capture succeeds")
            .remove(0);
        let pixel = pixel_of(&camera, box_top);
        assert_eq!(
            frame.instances.get(pixel.0, pixel.1),
            1,
            "box at {angle_deg}°"
        );
        assert_red(&frame, pixel);
        let expected = plane_depth(&camera, pixel, box_top.z);
        let depth = frame.depth.get(pixel.0, pixel.1);
        assert!(
            (depth - expected).abs() < 0.01,
            "depth at {angle_deg}°: rendered {depth} m, analytic {expected} m"
        );
        assert_ne!(
            previous_centre,
            Some(pixel),
            "camera moved, so the box must move"
        );
        previous_centre = Some(pixel);
    }
}

#[test]
fn two_cameras_in_one_capture() {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut renderer = renderer();
    let box_xy = Vec2::new(0.45, 0.05);
    let box_top = box_xy.extend(table_top() + BOX_SIZE.z);
    let cameras = [
        ("front".to_owned(), front_camera()),
        (
            "top".to_owned(),
            camera(Vec3::new(0.5, 0.0, 1.8), Vec3::new(0.5, 0.0, 0.75)),
        ),
    ];
    for step in 0..3u64 {
        let frames = renderer
            .capture(&poses(box_xy, 0.0), &cameras, step, 0.0)
            .expect("capture succeeds");
        assert_eq!(frames.len(), 2);
        for (frame, (camera_id, camera)) in frames.iter().zip(&cameras) {
            assert_eq!(&frame.camera_id, camera_id);
            let pixel = pixel_of(camera, box_top);
            assert_eq!(
                frame.instances.get(pixel.0, pixel.1),
                1,
                "{camera_id} sees the box"
            );
            assert_red(frame, pixel);
            let expected = plane_depth(camera, pixel, box_top.z);
            let depth = frame.depth.get(pixel.0, pixel.1);
            assert!(
                (depth - expected).abs() < 0.01,
                "{camera_id}: rendered {depth} m, analytic {expected} m"
            );
        }
        assert_ne!(frames[0].rgb, frames[1].rgb, "the two views differ");
    }
}

#[test]
fn background_is_infinite_and_unlabelled() {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut renderer = renderer();
    // Looking up and away from the table: nothing but background.
    let camera = camera(Vec3::new(0.5, 0.0, 1.5), Vec3::new(-2.0, 0.0, 3.0));
    let frame = capture_one(&mut renderer, &poses(Vec2::new(0.45, 0.05), 0.0), camera);
    assert!(frame.depth.data.iter().all(|depth| *depth == f32::INFINITY));
    assert!(frame.instances.data.iter().all(|id| *id == BACKGROUND_ID));
    let expected = BACKGROUND.map(|c| (c * 255.0).round() as i32);
    for (u, v) in [(0, 0), (111, 111), (223, 223)] {
        let pixel = frame.rgb.get_pixel(u, v).0.map(i32::from);
        for channel in 0..3 {
            assert!(
                (pixel[channel] - expected[channel]).abs() <= 2,
                "background at ({u}, {v}) is {pixel:?}, expected {expected:?}"
            );
        }
    }

    // In the front view the image corners above the table see the background too.
    let frame = capture_one(
        &mut renderer,
        &poses(Vec2::new(0.45, 0.05), 0.0),
        front_camera(),
    );
    assert_eq!(frame.instances.get(0, 0), BACKGROUND_ID);
    assert_eq!(frame.depth.get(0, 0), f32::INFINITY);
}

#[test]
fn saved_pngs_round_trip() {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut renderer = renderer();
    let camera = front_camera();
    let frame = capture_one(&mut renderer, &poses(Vec2::new(0.45, 0.05), 0.4), camera);
    let dir = std::env::var_os("PICKLOOP_TEST_FRAMES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| tempfile::tempdir().expect("temp dir").keep());
    frame.save_png(&dir, "front").expect("frames save");

    let rgb = image::open(dir.join("front_rgb.png"))
        .expect("rgb png")
        .to_rgb8();
    assert_eq!(rgb, frame.rgb);
    let depth = image::open(dir.join("front_depth.png"))
        .expect("depth png")
        .to_luma16();
    let ids = image::open(dir.join("front_ids.png"))
        .expect("ids png")
        .to_luma16();
    let pixel = pixel_of(&camera, Vec3::new(0.45, 0.05, table_top() + BOX_SIZE.z));
    assert_eq!(ids.get_pixel(pixel.0, pixel.1).0, [1]);
    let millimetres = f32::from(depth.get_pixel(pixel.0, pixel.1).0[0]);
    assert!((millimetres - 1000.0 * frame.depth.get(pixel.0, pixel.1)).abs() <= 0.5);
    assert_eq!(depth.get_pixel(0, 0).0, [0], "background depth is 0");
}

#[test]
fn off_centre_intrinsics_match_projection() {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut renderer = renderer();
    // Non-square pixels and a principal point far from the image centre.
    let camera = CameraModel {
        intrinsics: Intrinsics {
            width: SIZE.width,
            height: SIZE.height,
            fx: 190.0,
            fy: 240.0,
            cx: 90.0,
            cy: 140.0,
        },
        pose: CameraPose::look_at(Vec3::new(1.1, 0.3, 1.3), Vec3::new(0.5, 0.0, 0.75)),
    };
    let box_xy = Vec2::new(0.45, 0.05);
    let frame = capture_one(&mut renderer, &poses(box_xy, 0.0), camera);

    let top = table_top() + BOX_SIZE.z;
    let centre = box_xy.extend(top);
    for (fx, fy) in [
        (0.0f32, 0.0f32),
        (-0.35, -0.35),
        (0.35, 0.35),
        (-0.35, 0.35),
        (0.35, -0.35),
    ] {
        let point = centre + Vec3::new(fx * BOX_SIZE.x, fy * BOX_SIZE.y, 0.0);
        let pixel = pixel_of(&camera, point);
        assert_eq!(frame.instances.get(pixel.0, pixel.1), 1, "id at {pixel:?}");
        assert_red(&frame, pixel);
        let expected = plane_depth(&camera, pixel, top);
        let depth = frame.depth.get(pixel.0, pixel.1);
        assert!(
            (depth - expected).abs() < 0.01,
            "depth at {pixel:?}: rendered {depth} m, analytic {expected} m"
        );
    }
    // The table shows 3 cm in front of the box's +X face, which faces the camera.
    let beyond = centre + Vec3::new(0.5 * BOX_SIZE.x + 0.03, 0.0, -BOX_SIZE.z);
    let pixel = pixel_of(&camera, beyond);
    assert_eq!(
        frame.instances.get(pixel.0, pixel.1),
        SUPPORT_ID_BASE,
        "table at {pixel:?}"
    );
}

#[test]
fn shadow_flag_darkens_table_behind_box() {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Light travels 45° down towards -X, so the box shades the table up to its height (8 cm)
    // beyond its -X face.
    let direction = [-1.0, 0.0, -1.0];
    let box_xy = Vec2::new(0.45, 0.05);
    let camera = camera(Vec3::new(0.45, 0.05, 1.5), box_xy.extend(table_top()));
    let shaded = Vec3::new(box_xy.x - 0.5 * BOX_SIZE.x - 0.04, box_xy.y, table_top());
    let lit = Vec3::new(box_xy.x + 0.5 * BOX_SIZE.x + 0.04, box_xy.y, table_top());
    let luminance = |frame: &Frame, point: Vec3| {
        let (u, v) = pixel_of(&camera, point);
        assert_eq!(frame.instances.get(u, v), SUPPORT_ID_BASE, "table at ({u}, {v})");
        frame.rgb.get_pixel(u, v).0.iter().map(|&c| i32::from(c)).sum::<i32>() / 3
    };

    let mut without = renderer_with_light(direction, false);
    let frame = capture_one(&mut without, &poses(box_xy, 0.0), camera);
    let (shaded_off, lit_off) = (luminance(&frame, shaded), luminance(&frame, lit));
    drop(without);

    let mut with = renderer_with_light(direction, true);
    let frame = capture_one(&mut with, &poses(box_xy, 0.0), camera);
    let (shaded_on, lit_on) = (luminance(&frame, shaded), luminance(&frame, lit));

    assert!((shaded_off - lit_off).abs() < 10, "without shadows: {shaded_off} vs {lit_off}");
    assert!((lit_on - lit_off).abs() < 10, "lit table: {lit_on} vs {lit_off}");
    assert!(shaded_on + 30 < lit_on, "shadow {shaded_on} should be darker than {lit_on}");
}
