//! Scene files through the public API: the shipped scenes are valid and follow the authoring
//! conventions, every kind of error is reported at its exact position, and no input panics.

use std::path::{Path, PathBuf};

use bevy::math::{Quat, Vec2, Vec3};
use pickloop::observe::camera::{CameraModel, Intrinsics, camera_pose};
use pickloop::scene::layout::support_top;
use pickloop::scene::{
    Diagnostic, Layout, LoadedScene, ReachLimits, Scene, Support, Trajectory, ValidationContext,
    check_file, parse_scene, validate,
};

const SHIPPED_SCENES: [&str; 4] = [
    "tabletop_mugs",
    "tabletop_sizes",
    "tabletop_orbit",
    "warehouse_shelves",
];

/// Shoulder pivot height above the arm's base link origin, metres.
const SHOULDER_HEIGHT_M: f32 = 0.16;
/// Comfortable horizontal distances of a top-down pick from the arm's base, metres.
const COMFORTABLE_REACH_M: (f32, f32) = (0.30, 0.65);
/// Largest |y| of an object relative to the arm's base, metres.
const COMFORTABLE_HALF_WIDTH_M: f32 = 0.35;
/// Smallest gap between footprints at the worst jitter, metres, so that a suction cup fits.
const MIN_SUCTION_GAP_M: f32 = 0.04;
/// Free height above the shelf target needed for a top-down approach, metres.
const MIN_SHELF_CLEARANCE_M: f32 = 0.45;
/// Pixels an object's projected centre must stay inside the image border.
const IMAGE_MARGIN_PX: f32 = 8.0;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn context() -> ValidationContext {
    ValidationContext {
        assets_dir: root().join("assets"),
        reach: ReachLimits {
            shoulder_offset: Vec3::new(0.0, 0.0, SHOULDER_HEIGHT_M),
            max_reach_m: 0.75,
            min_reach_m: 0.2,
        },
    }
}

fn shipped(name: &str) -> LoadedScene {
    let path = root().join("scenes").join(format!("{name}.ron"));
    match check_file(&path, &context()) {
        Ok(loaded) => loaded,
        Err(diagnostics) => panic!("{name} is invalid:\n{}", render(&diagnostics)),
    }
}

fn fixture(name: &str) -> PathBuf {
    root()
        .join("tests/fixtures/scenes")
        .join(format!("{name}.ron"))
}

/// Diagnostics of a fixture that must fail the check.
fn errors_of(name: &str) -> Vec<Diagnostic> {
    match check_file(&fixture(name), &context()) {
        Ok(_) => panic!("fixture {name} passed the check"),
        Err(diagnostics) => diagnostics,
    }
}

fn render(diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().map(|d| format!("{d}\n")).collect()
}

/// Asserts that `diagnostics` contains one at `path` with the given position and message part.
#[track_caller]
fn assert_reported(
    diagnostics: &[Diagnostic],
    path: &str,
    line: usize,
    column: usize,
    message: &str,
) {
    let Some(found) = diagnostics.iter().find(|d| d.path == path) else {
        panic!("no diagnostic at {path}; got:\n{}", render(diagnostics));
    };
    assert_eq!(
        (found.line, found.column),
        (line, column),
        "position of {path}: {found}"
    );
    assert!(
        found.message.contains(message),
        "message of {path}: {found}"
    );
    assert!(!found.fix.is_empty(), "no fix for {path}: {found}");
}

// ---------------------------------------------------------------------------------------
// Shipped scenes

#[test]
fn shipped_scenes_validate_clean() {
    let mut found: Vec<String> = std::fs::read_dir(root().join("scenes"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "ron"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut expected: Vec<String> = SHIPPED_SCENES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(found, expected);

    for name in SHIPPED_SCENES {
        let loaded = shipped(name);
        assert_eq!(loaded.scene.name, name);
        assert_eq!(loaded.sha256.len(), 64);
    }
}

#[test]
fn shipped_scenes_stay_in_comfortable_reach() {
    for name in SHIPPED_SCENES {
        let scene = shipped(name).scene;
        let base = Vec2::new(scene.robot.base_position[0], scene.robot.base_position[1]);
        for object in &scene.objects {
            let jitter = object
                .jitter
                .map_or(0.0, |j| j.xy_m * std::f32::consts::SQRT_2);
            let offset = Vec2::from(object.xy) - base;
            let (near, far) = (offset.length() - jitter, offset.length() + jitter);
            assert!(
                offset.x > 0.0,
                "{name}/{}: not in front of the arm",
                object.id
            );
            assert!(
                near >= COMFORTABLE_REACH_M.0,
                "{name}/{}: {near:.3} m from the base",
                object.id
            );
            assert!(
                far <= COMFORTABLE_REACH_M.1,
                "{name}/{}: {far:.3} m from the base",
                object.id
            );
            assert!(
                offset.y.abs() <= COMFORTABLE_HALF_WIDTH_M,
                "{name}/{}: |y| too large",
                object.id
            );
        }
    }
}

#[test]
fn shipped_objects_are_small_and_light() {
    for name in SHIPPED_SCENES {
        let scene = shipped(name).scene;
        for object in &scene.objects {
            let height = object.shape.height();
            let mass = object
                .mass_kg
                .unwrap_or(object.shape.volume() * pickloop::scene::shape::DEFAULT_DENSITY_KG_M3);
            assert!(
                (0.05..=0.15).contains(&height),
                "{name}/{}: height {height}",
                object.id
            );
            assert!(mass < 0.5, "{name}/{}: mass {mass} kg", object.id);
            assert!(
                object.jitter.is_some_and(|j| j.xy_m > 0.0),
                "{name}/{}: no jitter",
                object.id
            );
        }
    }
}

#[test]
fn shipped_objects_leave_room_for_suction() {
    for name in SHIPPED_SCENES {
        let scene = shipped(name).scene;
        for (i, a) in scene.objects.iter().enumerate() {
            for b in scene.objects.iter().skip(i + 1).filter(|b| b.on == a.on) {
                let jitter = [a, b]
                    .iter()
                    .map(|o| o.jitter.map_or(0.0, |j| j.xy_m * std::f32::consts::SQRT_2))
                    .sum::<f32>();
                let gap = Vec2::from(a.xy).distance(Vec2::from(b.xy))
                    - a.shape.footprint_radius()
                    - b.shape.footprint_radius()
                    - jitter;
                assert!(
                    gap >= MIN_SUCTION_GAP_M,
                    "{name}: {} and {} gap {gap:.3} m",
                    a.id,
                    b.id
                );
            }
        }
    }
}

#[test]
fn shipped_scenes_have_a_wrist_camera() {
    for name in SHIPPED_SCENES {
        let scene = shipped(name).scene;
        let wrist = scene
            .cameras
            .iter()
            .filter(|c| matches!(c.trajectory, Trajectory::Wrist { .. }))
            .count();
        assert_eq!(wrist, 1, "{name}");
    }
}

/// Returns whether the segment from `from` to `to` passes through the support's box.
fn segment_hits_support(from: Vec3, to: Vec3, support: &Support) -> bool {
    let to_local = Quat::from_rotation_z(-support.yaw_deg.to_radians());
    let centre = Vec3::from(support.position);
    let start = to_local * (from - centre);
    let direction = to_local * (to - from);
    let half = Vec3::from(support.size) * 0.5;
    let (mut t_min, mut t_max) = (0.0f32, 1.0f32);
    for axis in 0..3 {
        if direction[axis].abs() < 1e-9 {
            if start[axis].abs() > half[axis] {
                return false;
            }
            continue;
        }
        let t1 = (-half[axis] - start[axis]) / direction[axis];
        let t2 = (half[axis] - start[axis]) / direction[axis];
        t_min = t_min.max(t1.min(t2));
        t_max = t_max.min(t1.max(t2));
    }
    t_min <= t_max
}

/// The view camera has every object in view at every second of the episode: each centre
/// projects inside the image and the line of sight to it crosses no support.
#[test]
fn view_camera_sees_every_object() {
    for name in SHIPPED_SCENES {
        let scene = shipped(name).scene;
        let camera = scene.cameras.iter().find(|c| c.id == scene.view).unwrap();
        let intrinsics = Intrinsics::from_vertical_fov(scene.image, camera.fov_y_deg.to_radians());
        let layout = Layout::sample(&scene, scene.seed);
        let steps = scene.time_limit_s.ceil() as u32;
        for second in 0..=steps {
            let t = second as f32;
            let pose = camera_pose(camera, t, (Vec3::ZERO, Quat::IDENTITY), scene.seed);
            let model = CameraModel { intrinsics, pose };
            for object in &layout.objects {
                let (pixel, _) = model
                    .project(object.position)
                    .unwrap_or_else(|| panic!("{name}/{}: behind the camera at {t} s", object.id));
                let inside = |v: f32, size: u32| {
                    (IMAGE_MARGIN_PX..=size as f32 - IMAGE_MARGIN_PX).contains(&v)
                };
                assert!(
                    inside(pixel.x, intrinsics.width) && inside(pixel.y, intrinsics.height),
                    "{name}/{}: projects to {pixel} at {t} s",
                    object.id
                );
                // Stop short of the centre so the object's own support does not count.
                let towards = object.position - pose.position;
                let end = pose.position + towards * (1.0 - 0.02 / towards.length());
                for support in &scene.supports {
                    assert!(
                        !segment_hits_support(pose.position, end, support),
                        "{name}/{}: hidden by {} at {t} s",
                        object.id,
                        support.id
                    );
                }
            }
        }
    }
}

/// Objects fill the middle of the view camera's image: their projected centres spread over
/// at least a quarter of the width and their mean lies in the central half.
#[test]
fn view_camera_frames_objects_centrally() {
    for name in SHIPPED_SCENES {
        let scene = shipped(name).scene;
        let camera = scene.cameras.iter().find(|c| c.id == scene.view).unwrap();
        let intrinsics = Intrinsics::from_vertical_fov(scene.image, camera.fov_y_deg.to_radians());
        let pose = camera_pose(camera, 0.0, (Vec3::ZERO, Quat::IDENTITY), scene.seed);
        let model = CameraModel { intrinsics, pose };
        let pixels: Vec<Vec2> = Layout::sample(&scene, scene.seed)
            .objects
            .iter()
            .map(|o| model.project(o.position).unwrap().0)
            .collect();
        let size = Vec2::new(intrinsics.width as f32, intrinsics.height as f32);
        let min = pixels.iter().copied().reduce(Vec2::min).unwrap();
        let max = pixels.iter().copied().reduce(Vec2::max).unwrap();
        let mean = pixels.iter().copied().sum::<Vec2>() / pixels.len() as f32;
        assert!(
            max.x - min.x >= 0.25 * size.x,
            "{name}: spread {min} to {max}"
        );
        let central = (mean / size - Vec2::splat(0.5)).abs().max_element() <= 0.25;
        assert!(central, "{name}: mean at {mean}");
    }
}

fn same_colour(a: [f32; 3], b: [f32; 3]) -> bool {
    Vec3::from(a).distance(Vec3::from(b)) < 0.15
}

#[test]
fn mugs_scene_needs_colour_and_shape() {
    let scene = shipped("tabletop_mugs").scene;
    let target = scene.objects.iter().find(|o| o.id == scene.target).unwrap();
    let others: Vec<_> = scene.objects.iter().filter(|o| o.id != target.id).collect();
    let same_colour_other_shape = others.iter().any(|o| {
        same_colour(o.material.color, target.material.color)
            && o.shape.kind_name() != target.shape.kind_name()
    });
    let same_shape_other_colour = others.iter().any(|o| {
        !same_colour(o.material.color, target.material.color)
            && o.shape.kind_name() == target.shape.kind_name()
    });
    assert!(
        same_colour_other_shape,
        "no same-coloured distractor of another shape"
    );
    assert!(
        same_shape_other_colour,
        "no same-shaped distractor of another colour"
    );
    assert!(scene.instruction.contains("red"), "{}", scene.instruction);
    assert!(scene.instruction.contains("mug"), "{}", scene.instruction);
}

#[test]
fn sizes_scene_target_is_the_smaller_twin() {
    let scene = shipped("tabletop_sizes").scene;
    let target = scene.objects.iter().find(|o| o.id == scene.target).unwrap();
    let twins: Vec<_> = scene
        .objects
        .iter()
        .filter(|o| o.id != target.id)
        .filter(|o| o.shape.kind_name() == target.shape.kind_name())
        .filter(|o| same_colour(o.material.color, target.material.color))
        .collect();
    assert_eq!(twins.len(), 1);
    assert!(twins[0].shape.volume() > 1.5 * target.shape.volume());
    assert!(scene.instruction.contains("smaller"));
}

#[test]
fn shelf_target_has_room_above() {
    let scene = shipped("warehouse_shelves").scene;
    let target = scene.objects.iter().find(|o| o.id == scene.target).unwrap();
    let board = scene.supports.iter().find(|s| s.id == target.on).unwrap();
    let target_top = support_top(board) + target.shape.height();
    let xy = Vec2::from(target.xy);
    for support in &scene.supports {
        let centre = Vec2::new(support.position[0], support.position[1]);
        let half =
            Vec2::new(support.size[0], support.size[1]) * 0.5 + target.shape.footprint_radius();
        let covers = ((xy - centre).abs() - half).max_element() < 0.0;
        let bottom = support.position[2] - 0.5 * support.size[2];
        if covers && bottom > target_top {
            let clearance = bottom - target_top;
            assert!(
                clearance >= MIN_SHELF_CLEARANCE_M,
                "{} is {clearance:.3} m above",
                support.id
            );
        }
    }
    // The arm's base is level with the board top and the board within the comfortable band.
    assert!((scene.robot.base_position[2] - support_top(board)).abs() < 0.05);
    let near_edge = board.position[0] - 0.5 * board.size[0];
    assert!(
        (0.35..=0.65).contains(&near_edge),
        "board starts at x = {near_edge}"
    );
}

#[test]
fn orbit_scene_view_camera_moves() {
    let scene = shipped("tabletop_orbit").scene;
    let camera = scene.cameras.iter().find(|c| c.id == scene.view).unwrap();
    let tool = (Vec3::ZERO, Quat::IDENTITY);
    let start = camera_pose(camera, 0.0, tool, 0).position;
    let end = camera_pose(camera, scene.time_limit_s, tool, 0).position;
    assert!(
        start.distance(end) > 0.3,
        "moved only {} m",
        start.distance(end)
    );
}

// ---------------------------------------------------------------------------------------
// Layout sampling

#[test]
fn layout_is_deterministic_per_seed() {
    let scene = shipped("tabletop_mugs").scene;
    assert_eq!(Layout::sample(&scene, 7), Layout::sample(&scene, 7));
}

#[test]
fn layout_differs_across_seeds() {
    let scene = shipped("tabletop_mugs").scene;
    let first = Layout::sample(&scene, 7);
    let second = Layout::sample(&scene, 8);
    for (a, b) in first.objects.iter().zip(&second.objects) {
        assert_ne!(a.position, b.position, "{} did not move", a.id);
        assert_ne!(a.yaw_rad, b.yaw_rad, "{} did not turn", a.id);
    }
}

#[test]
fn layout_stays_within_jitter() {
    let scene = shipped("tabletop_mugs").scene;
    for seed in 0..50 {
        for (placed, object) in Layout::sample(&scene, seed)
            .objects
            .iter()
            .zip(&scene.objects)
        {
            let jitter = object.jitter.unwrap();
            let offset = placed.position.truncate() - Vec2::from(object.xy);
            assert!(
                offset.abs().max_element() <= jitter.xy_m + 1e-6,
                "seed {seed}: {offset}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// One fixture per error kind

#[test]
fn valid_fixture_passes() {
    if let Err(diagnostics) = check_file(&fixture("valid_minimal"), &context()) {
        panic!("{}", render(&diagnostics));
    }
}

#[test]
fn unknown_target_lists_object_ids() {
    let errors = errors_of("unknown_target");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_reported(
        &errors,
        "target",
        6,
        13,
        "\"green_mug\" is not the id of any object",
    );
    assert!(
        errors[0].fix.contains("\"red_mug\", \"blue_box\""),
        "{}",
        errors[0]
    );
    assert_eq!(errors[0].value.as_deref(), Some("\"green_mug\""));
}

#[test]
fn duplicate_ids_in_each_list() {
    let errors = errors_of("duplicate_ids");
    assert_eq!(errors.len(), 3, "{}", render(&errors));
    assert_reported(
        &errors,
        "supports[1].id",
        11,
        14,
        "duplicate support id \"table\"",
    );
    assert_reported(
        &errors,
        "objects[1].id",
        23,
        17,
        "duplicate object id \"red_mug\"",
    );
    assert_reported(
        &errors,
        "cameras[1].id",
        32,
        14,
        "duplicate camera id \"front\"",
    );
}

#[test]
fn unknown_support_lists_support_ids() {
    let errors = errors_of("unknown_support");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_reported(
        &errors,
        "objects[1].on",
        25,
        17,
        "`on` names no support: \"shelf\"",
    );
    assert!(errors[0].fix.contains("\"table\""), "{}", errors[0]);
}

#[test]
fn unknown_view_lists_camera_ids() {
    let errors = errors_of("unknown_view");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_reported(
        &errors,
        "view",
        32,
        11,
        "view \"top\" is not the id of any camera",
    );
    assert!(errors[0].fix.contains("\"front\""), "{}", errors[0]);
}

#[test]
fn overlapping_objects_with_jitter() {
    let errors = errors_of("overlapping_objects");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_reported(
        &errors,
        "objects[1].xy",
        26,
        17,
        "\"blue_box\" can overlap object \"red_mug\"",
    );
    assert!(errors[0].message.contains("0.094 m apart"), "{}", errors[0]);
    assert!(errors[0].message.contains("need 0.129 m"), "{}", errors[0]);
}

#[test]
fn object_off_its_support() {
    let errors = errors_of("off_support");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_reported(
        &errors,
        "objects[0].xy",
        18,
        17,
        "not within the top face of support \"table\"",
    );
    assert!(
        errors[0].message.contains("reaches 0.046 m past the edge"),
        "{}",
        errors[0]
    );
}

#[test]
fn object_cutting_into_another_support() {
    let errors = errors_of("object_in_support");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_reported(
        &errors,
        "objects[1].xy",
        27,
        17,
        "object \"blue_box\" can cut into support \"low_board\"",
    );
    assert!(
        errors[0].message.contains("reaches 0.042 m into"),
        "{}",
        errors[0]
    );
}

#[test]
fn target_out_of_reach() {
    let errors = errors_of("out_of_reach");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_reported(
        &errors,
        "objects[0].xy",
        18,
        17,
        "target \"red_mug\" is out of the arm's reach",
    );
    // Shoulder at (0, 0, 0.91), grasp point at (0.93, 0.1, 0.85).
    assert!(
        errors[0].message.contains("0.937 m from the shoulder"),
        "{}",
        errors[0]
    );
}

#[test]
fn target_too_close_to_the_shoulder() {
    let source = std::fs::read_to_string(fixture("valid_minimal")).unwrap();
    let errors = check_source(&source.replacen("xy: (0.4, 0.1)", "xy: (0.05, 0.0)", 1));
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_reported(
        &errors,
        "objects[0].xy",
        18,
        17,
        "target \"red_mug\" is too close to the arm",
    );
    // Shoulder at (0, 0, 0.91), grasp point at (0.05, 0, 0.85) and 0.028 m of jitter.
    assert!(
        errors[0].message.contains("within 0.064 m"),
        "{}",
        errors[0]
    );
}

#[test]
fn nonpositive_sizes_everywhere() {
    let errors = errors_of("nonpositive_sizes");
    assert_reported(
        &errors,
        "time_limit_s",
        7,
        19,
        "scene: time_limit_s must be positive",
    );
    assert_reported(
        &errors,
        "supports[0].size[2]",
        10,
        40,
        "support \"table\": size.z must be positive",
    );
    assert_reported(
        &errors,
        "objects[0].shape.radius",
        15,
        32,
        "object \"red_mug\": radius must be positive",
    );
    assert_reported(
        &errors,
        "objects[1].shape.size[1]",
        23,
        37,
        "object \"blue_box\": size.y must be positive",
    );
    assert_reported(
        &errors,
        "cameras[0].fov_y_deg",
        30,
        34,
        "fov_y_deg must be between 0 and 180",
    );
    assert_reported(
        &errors,
        "rates.perception_hz",
        33,
        28,
        "rates: perception_hz must be positive",
    );
    assert_reported(
        &errors,
        "image.width",
        34,
        20,
        "image: width must be positive",
    );
    assert_eq!(errors.len(), 7, "{}", render(&errors));
    let radius = errors
        .iter()
        .find(|d| d.path == "objects[0].shape.radius")
        .unwrap();
    assert_eq!(
        radius.to_string(),
        format!(
            "{}:15:32: error: object \"red_mug\": radius must be positive\n  value: -0.04\n  \
             fix: set radius in metres above 0, e.g. 0.04",
            fixture("nonpositive_sizes").display()
        )
    );
}

#[test]
fn nan_and_infinity_are_reported() {
    let errors = errors_of("non_finite");
    assert_eq!(errors.len(), 3, "{}", render(&errors));
    assert_reported(
        &errors,
        "objects[0].xy[0]",
        18,
        18,
        "object \"red_mug\": xy[0] is NaN",
    );
    assert_reported(
        &errors,
        "objects[1].mass_kg",
        27,
        22,
        "object \"blue_box\": mass_kg is infinite",
    );
    assert_reported(
        &errors,
        "cameras[0].trajectory.eye[2]",
        31,
        61,
        "trajectory.eye[2] is infinite",
    );
}

#[test]
fn missing_texture_file() {
    let errors = errors_of("missing_texture");
    assert_eq!(errors.len(), 1, "{}", render(&errors));
    assert_reported(
        &errors,
        "objects[0].material.texture",
        16,
        57,
        "no_such_texture.png not found",
    );
}

#[test]
fn shipped_textures_are_found() {
    let uses_texture = SHIPPED_SCENES.iter().any(|name| {
        let scene = shipped(name).scene;
        let materials = scene.supports.iter().map(|s| &s.material);
        materials
            .chain(scene.objects.iter().map(|o| &o.material))
            .any(|m| m.texture.is_some())
    });
    assert!(uses_texture, "no shipped scene exercises the texture check");
}

#[test]
fn rates_must_divide_physics() {
    let errors = errors_of("rates_not_dividing");
    assert_eq!(errors.len(), 2, "{}", render(&errors));
    assert_reported(
        &errors,
        "rates.control_hz",
        33,
        44,
        "control_hz (70 Hz) does not divide physics_hz (240 Hz)",
    );
    assert_reported(
        &errors,
        "rates.perception_hz",
        33,
        65,
        "perception_hz (7 Hz) does not divide",
    );
    assert!(errors[0].fix.contains("e.g. 60 or 80"), "{}", errors[0]);
}

#[test]
fn unknown_field_lists_expected_fields() {
    let errors = errors_of("unknown_field");
    assert_eq!(errors.len(), 1);
    assert_reported(
        &errors,
        "objects[0].material.colour",
        16,
        24,
        "unknown field `colour` in `Material`",
    );
    assert!(
        errors[0].fix.starts_with("did you mean `color`?"),
        "{}",
        errors[0]
    );
    assert!(
        errors[0]
            .fix
            .contains("color, roughness, metallic, texture"),
        "{}",
        errors[0]
    );
}

#[test]
fn wrong_type_shows_the_value() {
    let errors = errors_of("wrong_type");
    assert_eq!(errors.len(), 1);
    assert_reported(
        &errors,
        "objects[0].shape.radius",
        15,
        32,
        "expected a number",
    );
    assert_eq!(errors[0].value.as_deref(), Some("\"large\""));
}

#[test]
fn missing_field_names_the_field() {
    let errors = errors_of("missing_field");
    assert_eq!(errors.len(), 1);
    assert_reported(
        &errors,
        "objects[0].shape.radius",
        15,
        35,
        "missing field `radius` in `Mug`",
    );
    assert!(errors[0].fix.contains("radius: 0.04"), "{}", errors[0]);
}

#[test]
fn syntax_error_points_after_the_gap() {
    let errors = errors_of("syntax_error");
    assert_eq!(errors.len(), 1);
    assert_reported(&errors, "objects[0]", 18, 13, "expected `,`");
}

#[test]
fn several_errors_are_all_reported_in_file_order() {
    let errors = errors_of("several_errors");
    let found: Vec<(usize, usize, &str)> = errors
        .iter()
        .map(|d| (d.line, d.column, d.path.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (6, 13, "target"),
            (15, 32, "objects[0].shape.radius"),
            (25, 17, "objects[1].on"),
            (32, 11, "view"),
            (33, 25, "rates.control_hz"),
        ],
        "{}",
        render(&errors)
    );
}

// ---------------------------------------------------------------------------------------
// Robustness

/// Loads `source` as if from a file and validates it, checking that every diagnostic points
/// inside the text.
fn check_source(source: &str) -> Vec<Diagnostic> {
    let file = Path::new("garbled.ron");
    let diagnostics = match parse_scene(file, source) {
        Err(error) => vec![error.to_diagnostic()],
        Ok(scene) => {
            let loaded = LoadedScene {
                scene,
                path: file.to_owned(),
                source: source.to_owned(),
                sha256: String::new(),
            };
            validate(&loaded, &context())
        }
    };
    let lines = source.lines().count().max(1);
    for diagnostic in &diagnostics {
        assert!(
            diagnostic.line >= 1 && diagnostic.line <= lines + 1,
            "{diagnostic}"
        );
        assert!(diagnostic.column >= 1, "{diagnostic}");
    }
    diagnostics
}

#[test]
fn truncated_files_give_diagnostics() {
    for name in SHIPPED_SCENES {
        let source =
            std::fs::read_to_string(root().join("scenes").join(format!("{name}.ron"))).unwrap();
        let content_end = source.trim_end().len();
        for (cut, _) in source
            .char_indices()
            .filter(|(i, _)| i % 5 == 0 && *i < content_end)
        {
            let diagnostics = check_source(&source[..cut]);
            assert!(!diagnostics.is_empty(), "{name} cut at byte {cut} passed");
        }
    }
}

#[test]
fn garbled_files_do_not_panic() {
    const NOISE: &[u8] = b"()[]{},:\"'/*-+.0123456789eNaninf_ \n\\#r";
    let source = std::fs::read_to_string(root().join("scenes/warehouse_shelves.ron")).unwrap();
    // A fixed xorshift generator keeps the garbling reproducible.
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut failures = 0;
    for _ in 0..300 {
        let mut bytes = source.clone().into_bytes();
        for _ in 0..1 + next() % 4 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = NOISE[(next() % NOISE.len() as u64) as usize];
        }
        // Replaced bytes may split a multi-byte character. Such files are not UTF-8, and the
        // loader's own test covers them.
        let Ok(garbled) = String::from_utf8(bytes) else {
            continue;
        };
        if !check_source(&garbled).is_empty() {
            failures += 1;
        }
    }
    // Most garbled files break the syntax or a value.
    assert!(
        failures > 150,
        "only {failures} of 300 garbled files were rejected"
    );
}

#[test]
fn empty_and_binary_input() {
    for source in [
        "", " ", "\n\n", "Scene", "Scene(", "(((((", "[", "\"", "/*", "Scene()", "()",
    ] {
        let diagnostics = check_source(source);
        assert!(!diagnostics.is_empty(), "{source:?} passed");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("binary.ron");
    std::fs::write(&path, [0u8, 159, 146, 150, 255, 0, 1]).unwrap();
    let diagnostics = check_file(&path, &context()).unwrap_err();
    assert!(
        diagnostics[0].message.contains("UTF-8"),
        "{}",
        diagnostics[0]
    );
}

#[test]
fn scene_round_trips_through_ron() {
    let scene = shipped("warehouse_shelves").scene;
    let text = ron::ser::to_string_pretty(&scene, ron::ser::PrettyConfig::default()).unwrap();
    let reparsed: Scene = parse_scene(Path::new("round_trip.ron"), &text).unwrap();
    assert_eq!(reparsed, scene);
}
