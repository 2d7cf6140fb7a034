//! Perturbed scenes rendered headless: each axis's effect is visible in the frames.
//!
//! Set `PICKLOOP_TEST_FRAMES_DIR` to keep the frames as PNGs for a look by eye.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bevy::math::{Quat, Vec2, Vec3};
use pickloop::act::arm::ArmModel;
use pickloop::episode::{EpisodeSpec, SceneSession};
use pickloop::observe::camera::camera_pose;
use pickloop::observe::frame::object_instance_id;
use pickloop::observe::render::{RenderSettings, Renderer, scene_bodies, scene_start_poses};
use pickloop::observe::{CameraModel, Frame, Intrinsics};
use pickloop::perception::config::PerceptionConfig;
use pickloop::perturb::{Axis, OCCLUDER_GREY, OCCLUDER_START_S, Perturbation, apply};
use pickloop::scene::{ImageSize, Layout, LoadedScene, Scene, load_scene};

/// lavapipe uses every core for one frame, so renderers in parallel tests only slow each other.
static GPU: Mutex<()> = Mutex::new(());

/// Small frames keep the software renderer fast.
const SIZE: ImageSize = ImageSize {
    width: 96,
    height: 96,
};
const LAYOUT_SEED: u64 = 1000;

fn mugs() -> Scene {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes/tabletop_mugs.ron");
    let mut scene = load_scene(&path).expect("shipped scene loads").scene;
    scene.image = SIZE;
    scene
}

fn perturbed(scene: &Scene, axis: Axis, magnitude: f64) -> pickloop::perturb::Perturbed {
    apply(scene, &[Perturbation { axis, magnitude }], 3)
        .unwrap_or_else(|e| panic!("{axis}={magnitude}: {e:#}"))
}

/// Renders the view camera at time `time_s` with the objects at their start poses.
fn render(scene: &Scene, name: &str, time_s: f32) -> Frame {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let layout = Layout::sample(scene, LAYOUT_SEED);
    let settings = RenderSettings {
        size: scene.image,
        background: scene.background,
        lights: scene.lights.clone(),
        assets_dir: PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets")),
    };
    let mut renderer =
        Renderer::new(settings, &scene_bodies(scene, &layout)).expect("renderer starts");
    let view = scene
        .cameras
        .iter()
        .find(|c| c.id == scene.view)
        .expect("view camera");
    let camera = CameraModel {
        intrinsics: Intrinsics::from_vertical_fov(scene.image, view.fov_y_deg.to_radians()),
        pose: camera_pose(view, time_s, (Vec3::ZERO, Quat::IDENTITY), LAYOUT_SEED),
    };
    let frame = renderer
        .capture(
            &scene_start_poses(scene, &layout),
            &[(scene.view.clone(), camera)],
            0,
            time_s,
        )
        .expect("capture succeeds")
        .remove(0);
    save(&frame, name);
    frame
}

fn save(frame: &Frame, name: &str) {
    if let Some(dir) = std::env::var_os("PICKLOOP_TEST_FRAMES_DIR") {
        frame
            .save_png(&PathBuf::from(dir), name)
            .expect("frames save");
    }
}

fn mean_rgb(frame: &Frame) -> f64 {
    let sum: u64 = frame.rgb.iter().map(|&c| u64::from(c)).sum();
    sum as f64 / frame.rgb.len() as f64
}

/// Pixel centroid and pixel count of instance `id`.
fn centroid(frame: &Frame, id: u16) -> (Vec2, usize) {
    let width = frame.instances.width as usize;
    let pixels: Vec<Vec2> = frame
        .instances
        .data
        .iter()
        .enumerate()
        .filter(|&(_, &pixel)| pixel == id)
        .map(|(i, _)| Vec2::new((i % width) as f32, (i / width) as f32))
        .collect();
    let count = pixels.len();
    (
        pixels.into_iter().sum::<Vec2>() / count.max(1) as f32,
        count,
    )
}

fn target_id(scene: &Scene) -> u16 {
    let index = scene
        .objects
        .iter()
        .position(|o| o.id == scene.target)
        .expect("target");
    object_instance_id(index)
}

#[test]
fn darker_light_lowers_mean() {
    let scene = mugs();
    let base = render(&scene, "light_base", 0.0);
    let dark = render(
        &perturbed(&scene, Axis::LightIntensity, 2.0).scene,
        "light_2ev",
        0.0,
    );
    let (base_mean, dark_mean) = (mean_rgb(&base), mean_rgb(&dark));
    println!("mean RGB level: base {base_mean:.1}, 2 EV darker {dark_mean:.1}");
    assert!(
        dark_mean < 0.8 * base_mean,
        "2 EV darker: mean {dark_mean:.1} vs {base_mean:.1}"
    );
}

#[test]
fn azimuth_moves_target_in_image() {
    let scene = mugs();
    let id = target_id(&scene);
    let (before, before_pixels) = centroid(&render(&scene, "azimuth_base", 0.0), id);
    let (after, after_pixels) = centroid(
        &render(
            &perturbed(&scene, Axis::CameraAzimuth, 20.0).scene,
            "azimuth_20deg",
            0.0,
        ),
        id,
    );
    println!("target centroid {before} ({before_pixels} px) -> {after} ({after_pixels} px)");
    assert!(before_pixels > 20, "target visible before the turn");
    assert!(after_pixels > 20, "target visible after the turn");
    assert!(
        before.distance(after) > 3.0,
        "target moved only {} px",
        before.distance(after)
    );
}

#[test]
fn distractors_visible() {
    let scene = mugs();
    let result = perturbed(&scene, Axis::Distractors, 3.0).scene;
    let frame = render(&result, "distractors_3", 0.0);
    for index in scene.objects.len()..result.objects.len() {
        let (_, pixels) = centroid(&frame, object_instance_id(index));
        assert!(
            pixels > 5,
            "{} covers {pixels} px",
            result.objects[index].id
        );
    }
}

#[test]
fn hue_changes_target_colour() {
    let scene = mugs();
    let id = target_id(&scene);
    let mean_colour = |frame: &Frame| {
        let mut sum = [0.0f64; 3];
        let mut count = 0.0;
        for (pixel, &instance) in frame.rgb.pixels().zip(&frame.instances.data) {
            if instance == id {
                for (s, &c) in sum.iter_mut().zip(&pixel.0) {
                    *s += f64::from(c);
                }
                count += 1.0;
            }
        }
        sum.map(|s| s / count)
    };
    let red = mean_colour(&render(&scene, "hue_base", 0.0));
    let turned = mean_colour(&render(
        &perturbed(&scene, Axis::ObjectHue, 120.0).scene,
        "hue_120deg",
        0.0,
    ));
    println!("target mean colour {red:?} -> {turned:?}");
    assert!(red[0] > red[1], "the red mug renders red: {red:?}");
    assert!(red[0] > red[2], "the red mug renders red: {red:?}");
    assert!(
        turned[1] > turned[0],
        "a 120 degree turn renders it green: {turned:?}"
    );
    assert!(
        turned[1] > turned[2],
        "a 120 degree turn renders it green: {turned:?}"
    );
}

#[test]
fn occluder_covers_width_share() {
    let scene = mugs();
    let result = perturbed(&scene, Axis::Occluder, 0.25);
    let mut frame = render(&result.scene, "occluder_base", OCCLUDER_START_S);
    result.frame_effects.apply(&mut frame, 1);
    save(&frame, "occluder_0.25");
    let width = frame.rgb.width();
    let grey_columns = (0..width)
        .filter(|&u| {
            (0..frame.rgb.height()).all(|v| frame.rgb.get_pixel(u, v).0 == [OCCLUDER_GREY; 3])
        })
        .count();
    assert_eq!(grey_columns, (0.25 * width as f32).round() as usize);
}

/// Runs one oracle episode of `scene` with the given frame effects and returns the RGB and
/// depth PNG bytes of its first perception frame.
fn first_episode_frame(
    scene: &Scene,
    effects: &pickloop::perturb::FrameEffects,
    dir: &Path,
) -> (Vec<u8>, Vec<u8>) {
    let _gpu = GPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    let arm = ArmModel::load(assets.join(&scene.robot.urdf)).expect("shipped arm loads");
    let loaded = LoadedScene {
        scene: scene.clone(),
        path: PathBuf::from("perturbed.ron"),
        source: String::new(),
        sha256: String::new(),
    };
    let mut session =
        SceneSession::new(loaded, arm, scene.rates, &assets).expect("renderer starts");
    let row = session.run(&EpisodeSpec {
        episode: 0,
        seed: LAYOUT_SEED,
        perception: PerceptionConfig::named("oracle"),
        save_frames: Some(dir.to_path_buf()),
        frame_effects: effects.clone(),
        record_frames: false,
    });
    println!(
        "episode outcome: success {}, {}",
        row.outcome.success, row.outcome.detail
    );
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("frames written")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.to_string_lossy().ends_with("_rgb.png"))
        .collect();
    names.sort();
    let rgb = names.first().expect("at least one frame").clone();
    let depth = PathBuf::from(rgb.to_string_lossy().replace("_rgb.png", "_depth.png"));
    (
        std::fs::read(rgb).expect("rgb png"),
        std::fs::read(depth).expect("depth png"),
    )
}

#[test]
fn episode_frames_carry_effects() {
    let scene = mugs();
    let list = [
        Perturbation {
            axis: Axis::Occluder,
            magnitude: 0.5,
        },
        Perturbation {
            axis: Axis::DepthDropout,
            magnitude: 0.3,
        },
    ];
    let result = apply(&scene, &list, 3).expect("frame effects apply");
    let first = tempfile::tempdir().expect("temporary directory");
    let second = tempfile::tempdir().expect("temporary directory");
    let (rgb, depth) = first_episode_frame(&result.scene, &result.frame_effects, first.path());
    let (rgb_again, depth_again) =
        first_episode_frame(&result.scene, &result.frame_effects, second.path());
    assert_eq!(rgb, rgb_again, "the same episode gives the same frame");
    assert_eq!(
        depth, depth_again,
        "the same episode gives the same dropout"
    );

    let image = image::load_from_memory(&rgb)
        .expect("rgb decodes")
        .to_rgb8();
    let grey_columns = (0..image.width())
        .filter(|&u| (0..image.height()).all(|v| image.get_pixel(u, v).0 == [OCCLUDER_GREY; 3]))
        .count();
    assert_eq!(
        grey_columns,
        (0.5 * image.width() as f32).round() as usize,
        "the board is in the first frame"
    );

    let depth = image::load_from_memory(&depth)
        .expect("depth decodes")
        .to_luma16();
    let invalid = depth.pixels().filter(|p| p.0[0] == 0).count() as f64
        / f64::from(depth.width() * depth.height());
    println!("invalid depth share in the first episode frame: {invalid:.3}");
    assert!(
        invalid > 0.25,
        "dropout marks about 30 % of the pixels invalid: {invalid:.3}"
    );
}
