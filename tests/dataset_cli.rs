//! `pickloop dataset`: file format, held-out splits, correspondences, determinism and the
//! overwrite check.

mod cli_support;

use cli_support::pickloop;

use std::collections::BTreeSet;
use std::path::Path;

use bevy::math::Vec3;
use image::RgbImage;
use pickloop::dataset::attributes::parse_held_out;
use pickloop::dataset::generate::{GeneratorConfig, Split, generate_scene};
use pickloop::dataset::look::Look;
use pickloop::dataset::{DEFAULT_HELD_OUT, correspondences};
use pickloop::observe::{CameraModel, CameraPose, DepthImage, Frame, InstanceImage, Intrinsics};
use pickloop::perception::select::square_crop;
use pickloop::scene::ImageSize;
use serde_json::Value;

const SCENES: &str = "8";
/// A high test share so that eight scenes contain test scenes with held-out objects.
const TEST_SHARE: &str = "0.5";
const SEED: &str = "3";

fn write_dataset(out: &Path) {
    let output = pickloop(&[
        "dataset",
        "--out",
        out.to_str().unwrap(),
        "--scenes",
        SCENES,
        "--seed",
        SEED,
        "--test-share",
        TEST_SHARE,
    ]);
    assert!(
        output.status.success(),
        "dataset failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn read_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("the JSON lines file exists")
        .lines()
        .map(|line| serde_json::from_str(line).expect("every line is JSON"))
        .collect()
}

fn load_rgb(path: &Path) -> RgbImage {
    image::open(path).expect("the PNG opens").to_rgb8()
}

fn held_out_pairs() -> BTreeSet<(String, String)> {
    parse_held_out(DEFAULT_HELD_OUT)
        .unwrap()
        .iter()
        .map(|h| (h.colour.to_owned(), h.shape.name().to_owned()))
        .collect()
}

fn colour_and_shape(crop: &Value) -> (String, String) {
    let object = &crop["object"];
    (
        object["colour"].as_str().unwrap().to_owned(),
        object["shape"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn dataset_files_follow_format() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["format"], "pickloop-dataset/1");
    assert_eq!(manifest["seed"], 3);
    assert_eq!(manifest["scenes"], 8);
    assert_eq!(manifest["size_px"], 224);
    assert_eq!(manifest["test_share"], 0.5);
    assert_eq!(manifest["held_out"].as_array().unwrap().len(), 5);
    assert!(
        manifest["command"]
            .as_str()
            .unwrap()
            .starts_with("pickloop ")
    );

    let crops = read_lines(&dir.path().join("crops.jsonl"));
    let pairs = read_lines(&dir.path().join("pairs.jsonl"));
    assert_eq!(pairs.len(), 8);
    let counts = &manifest["counts"];
    for (key, split) in [
        ("train_crops", "train"),
        ("test_seen_crops", "test_seen"),
        ("test_unseen_crops", "test_unseen"),
    ] {
        let written = crops.iter().filter(|c| c["split"] == split).count();
        assert_eq!(counts[key].as_u64().unwrap() as usize, written, "{key}");
        assert!(
            written > 0,
            "no {split} crops; pick a seed with every split"
        );
    }
    for (key, split) in [("train_pairs", "train"), ("test_pairs", "test")] {
        let written = pairs.iter().filter(|p| p["split"] == split).count();
        assert_eq!(counts[key].as_u64().unwrap() as usize, written, "{key}");
    }

    let vocabulary: Vec<String> = manifest["vocabulary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|word| word.as_str().unwrap().to_owned())
        .collect();
    let mut sorted = vocabulary.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(vocabulary, sorted, "vocabulary must be sorted and unique");

    for crop in &crops {
        let id = crop["id"].as_str().unwrap();
        let group = crop["group"].as_str().unwrap();
        assert!(id.starts_with(group), "{id} is not in group {group}");
        let render = load_rgb(&dir.path().join(format!("renders/{group}.png")));
        assert_eq!(render.dimensions(), (224, 224));
        let bbox: Vec<u32> = crop["bbox"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        let expected = square_crop(&render, [bbox[0], bbox[1], bbox[2], bbox[3]]);
        let written = load_rgb(&dir.path().join(crop["image"].as_str().unwrap()));
        assert_eq!(written.dimensions(), expected.dimensions(), "{id}");
        assert!(
            written == expected,
            "{id} differs from the square crop of its render"
        );
        assert!(crop["visible_px"].as_u64().unwrap() >= 150, "{id}");
        for field in ["shape", "colour", "size", "material", "support"] {
            assert!(
                crop["object"][field].is_string(),
                "{id} lacks object.{field}"
            );
        }
        let captions = crop["captions"].as_array().unwrap();
        let (colour, shape) = colour_and_shape(crop);
        assert!(
            captions.contains(&Value::from(format!("{colour} {shape}"))),
            "{id}"
        );
        assert!(
            captions.contains(&Value::from(format!("a photo of {colour} {shape}"))),
            "{id}"
        );
        for caption in captions {
            for word in caption.as_str().unwrap().split_whitespace() {
                assert!(
                    vocabulary.binary_search(&word.to_owned()).is_ok(),
                    "{word} not in vocabulary"
                );
            }
        }
    }
    for pair in &pairs {
        for key in ["a", "b"] {
            assert!(
                dir.path().join(pair[key].as_str().unwrap()).is_file(),
                "{}",
                pair[key]
            );
        }
        for point in pair["points"].as_array().unwrap() {
            assert_eq!(point.as_array().unwrap().len(), 5);
            assert!(point[4].is_u64(), "instance ids are integers: {point}");
        }
    }
}

#[test]
fn dataset_keeps_held_out_combinations_from_train() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let held_out = held_out_pairs();
    let crops = read_lines(&dir.path().join("crops.jsonl"));
    for crop in &crops {
        let combination = colour_and_shape(crop);
        match crop["split"].as_str().unwrap() {
            "train" | "test_seen" => assert!(!held_out.contains(&combination), "{}", crop["id"]),
            "test_unseen" => assert!(held_out.contains(&combination), "{}", crop["id"]),
            other => panic!("unknown split {other}"),
        }
    }
}

#[test]
fn generator_never_puts_held_out_in_train() {
    let config = GeneratorConfig {
        seed: 11,
        size: ImageSize::default(),
        test_share: 0.15,
        held_out: parse_held_out(DEFAULT_HELD_OUT).unwrap(),
        table_textures: vec!["textures/wood.png".to_owned()],
    };
    let look = Look {
        background: [0.5; 3],
        lights: Vec::new(),
    };
    let (mut test_scenes, mut test_with_held_out) = (0, 0);
    for index in 0..300 {
        let generated = generate_scene(&config, index, &look).expect("scene generates");
        let has_held_out = generated
            .attributes
            .iter()
            .any(|a| config.held_out.iter().any(|h| h.matches(a)));
        match generated.split {
            Split::Train => assert!(!has_held_out, "train scene {index} has a held-out object"),
            Split::Test => {
                test_scenes += 1;
                test_with_held_out += usize::from(has_held_out);
            }
        }
    }
    assert!(test_scenes > 20, "only {test_scenes} test scenes");
    assert!(
        test_with_held_out * 10 >= test_scenes * 7,
        "{test_with_held_out} of {test_scenes} test scenes have a held-out object"
    );
}

/// Largest channel difference, in 8-bit sRGB steps, at which two pixels count as the same
/// colour. Both views share lights and materials, so only view-dependent specular highlights,
/// texture filtering and samples on object edges, where a pixel mixes two surfaces, differ.
/// With seed 3, 99.2 % of points were within 8 steps.
const COLOUR_TOLERANCE: i32 = 16;
/// Share of points that must match in colour.
const MIN_COLOUR_MATCH_SHARE: f64 = 0.95;

#[test]
fn dataset_pairs_match_colours() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let (mut total, mut close) = (0usize, 0usize);
    for pair in read_lines(&dir.path().join("pairs.jsonl")) {
        let a = load_rgb(&dir.path().join(pair["a"].as_str().unwrap()));
        let b = load_rgb(&dir.path().join(pair["b"].as_str().unwrap()));
        let points = pair["points"].as_array().unwrap();
        assert!(
            points.len() > 50,
            "{} has {} points",
            pair["id"],
            points.len()
        );
        for point in points {
            let p: Vec<f64> = point
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let pixel_a = a.get_pixel(p[0].floor() as u32, p[1].floor() as u32).0;
            let pixel_b = b.get_pixel(p[2].floor() as u32, p[3].floor() as u32).0;
            let distance = (0..3)
                .map(|c| (i32::from(pixel_a[c]) - i32::from(pixel_b[c])).abs())
                .max()
                .unwrap();
            total += 1;
            close += usize::from(distance <= COLOUR_TOLERANCE);
        }
    }
    let share = close as f64 / total as f64;
    assert!(
        share >= MIN_COLOUR_MATCH_SHARE,
        "only {close} of {total} points ({share:.3}) match in colour"
    );
}

/// Builds a camera `height` metres above the plane z = 0 at `x`, looking straight down.
fn downward_camera(x: f32, height: f32) -> CameraModel {
    let size = ImageSize {
        width: 64,
        height: 64,
    };
    CameraModel {
        intrinsics: Intrinsics::from_vertical_fov(size, 60f32.to_radians()),
        pose: CameraPose::look_at(Vec3::new(x, 0.0, height), Vec3::new(x, 0.0, 0.0)),
    }
}

/// Builds a frame of the plane z = 0 seen by `camera`, with instance 1 where world x < 0
/// and 2 elsewhere.
fn plane_frame(camera: CameraModel) -> Frame {
    let k = camera.intrinsics;
    let mut depth = Vec::new();
    let mut ids = Vec::new();
    for v in 0..k.height {
        for u in 0..k.width {
            let height = camera.pose.position.z;
            depth.push(height);
            let world = camera.unproject(u, v, height);
            ids.push(if world.x < 0.0 { 1 } else { 2 });
        }
    }
    Frame {
        step: 0,
        time_s: 0.0,
        camera_id: "test".to_owned(),
        camera,
        rgb: RgbImage::new(k.width, k.height),
        depth: DepthImage {
            width: k.width,
            height: k.height,
            data: depth,
        },
        instances: InstanceImage {
            width: k.width,
            height: k.height,
            data: ids,
        },
    }
}

#[test]
fn correspondences_follow_camera_translation() {
    let height = 1.0;
    let shift_m = 0.1;
    let a = plane_frame(downward_camera(0.0, height));
    let b = plane_frame(downward_camera(shift_m, height));
    let points = correspondences(&a, &b, 8);
    // Looking down with +Y as the up hint, image +u is world +X, so moving the camera by
    // +0.1 m moves every surface point by -fx * 0.1 / 1 pixels.
    let expected_du = -a.camera.intrinsics.fx * shift_m / height;
    assert!(!points.is_empty());
    for point in &points {
        assert!(
            (point.b[0] - (point.a[0] + expected_du)).abs() < 1e-3,
            "{point:?}"
        );
        assert!((point.b[1] - point.a[1]).abs() < 1e-3, "{point:?}");
        let (u_b, v_b) = (point.b[0].floor() as u32, point.b[1].floor() as u32);
        assert_eq!(b.instances.get(u_b, v_b), point.instance_id, "{point:?}");
    }
    // Columns whose points leave image B are dropped: 8 rows of samples, minus the columns
    // that land left of u = 0.
    let kept_columns = (0..8)
        .filter(|i| (4 + 8 * i) as f32 + 0.5 + expected_du >= 0.0)
        .count();
    assert_eq!(points.len(), 8 * kept_columns);
}

#[test]
fn correspondences_drop_occluded_points() {
    let a = plane_frame(downward_camera(0.0, 1.0));
    let mut b = plane_frame(downward_camera(0.0, 1.0));
    // Something 0.5 m above the plane covers the left half of image B.
    for v in 0..b.depth.height {
        for u in 0..b.depth.width / 2 {
            b.depth.data[(v * b.depth.width + u) as usize] = 0.5;
        }
    }
    let points = correspondences(&a, &b, 8);
    assert!(!points.is_empty());
    assert!(
        points.iter().all(|p| p.b[0] >= 32.0),
        "occluded points were kept"
    );
}

#[test]
fn dataset_is_deterministic() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    write_dataset(first.path());
    write_dataset(second.path());
    for name in ["crops.jsonl", "pairs.jsonl"] {
        let a = std::fs::read(first.path().join(name)).unwrap();
        let b = std::fs::read(second.path().join(name)).unwrap();
        assert!(a == b, "{name} differs between two runs with the same seed");
    }
    for folder in ["renders", "crops"] {
        let mut names: Vec<_> = std::fs::read_dir(first.path().join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect();
        names.sort();
        for name in names {
            let a = std::fs::read(first.path().join(folder).join(&name)).unwrap();
            let b = std::fs::read(second.path().join(folder).join(&name)).unwrap();
            assert!(a == b, "{folder}/{name:?} differs between two runs");
        }
    }
}

#[test]
fn dataset_rejects_non_empty_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "keep me").unwrap();
    let out = dir.path().to_str().unwrap();
    let output = pickloop(&["dataset", "--out", out, "--scenes", "1"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not empty"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    assert!(!dir.path().join("manifest.json").exists());

    let output = pickloop(&["dataset", "--out", out, "--scenes", "1", "--force"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("manifest.json").is_file());
    assert!(
        dir.path().join("notes.txt").is_file(),
        "--force removed a file it did not write"
    );
}
