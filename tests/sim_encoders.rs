//! Quality of the shipped sim encoders in assets/models, measured on a dataset rendered here
//! with a seed the training data did not use, against randomly initialised weights of the same
//! architecture. The thresholds sit below the figures in the model cards by a margin for the
//! smaller sample.

mod cli_support;

use cli_support::{assert_success, pickloop};

use std::path::Path;
use std::sync::{Arc, OnceLock};

use candle_core::Device;
use pickloop::perception::encoders::{Dinov2Encoder, SiglipEncoder};
use pickloop::train::data::{CropSplit, Dataset};
use pickloop::train::eval;

const SHIPPED_SIGLIP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/models/siglip-sim");
const SHIPPED_DINOV2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/models/dinov2-sim");
/// Scenes of the held-out dataset, every one in the test split.
const SCENES: &str = "60";
/// A dataset seed far from the shipped training data's seed 0.
const SEED: &str = "9001";

/// Lowest selection accuracies accepted for seen and held-out colour-shape combinations.
const MIN_SELECTION_SEEN: f64 = 0.80;
const MIN_SELECTION_UNSEEN: f64 = 0.65;
/// Lowest object-point correspondence accuracy accepted.
const MIN_CORRESPONDENCE: f64 = 0.60;
/// Lowest gain over random initialisation, in accuracy points.
const MIN_GAIN_OVER_RANDOM: f64 = 0.15;

/// Renders the held-out dataset once for every test in this file and returns its directory.
fn held_out_dataset() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("data");
        let output = pickloop(&[
            "dataset", "--out", out.to_str().unwrap(), "--scenes", SCENES, "--seed", SEED, "--test-share", "1",
        ]);
        assert_success(&output, "dataset");
        dir
    })
    .path()
    .join("data")
    .leak()
}

/// Writes the random initialisation of a model's architecture (zero training steps).
fn random_init(kind: &str, out: &Path) {
    let data = held_out_dataset().to_str().unwrap();
    let output = pickloop(&["train", kind, "--data", data, "--out", out.to_str().unwrap(), "--steps", "0"]);
    assert_success(&output, "train --steps 0");
}

#[test]
fn shipped_siglip_selects_named_objects() {
    let dataset = Dataset::open(held_out_dataset()).unwrap();
    let shipped = Arc::new(SiglipEncoder::load(SHIPPED_SIGLIP, &Device::Cpu).unwrap());
    let seen = eval::siglip_selection(shipped.clone(), &dataset, CropSplit::TestSeen).unwrap();
    let unseen = eval::siglip_selection(shipped, &dataset, CropSplit::TestUnseen).unwrap();
    let dir = tempfile::tempdir().unwrap();
    random_init("siglip", dir.path());
    let random = Arc::new(SiglipEncoder::load(dir.path().to_str().unwrap(), &Device::Cpu).unwrap());
    let random_seen = eval::siglip_selection(random.clone(), &dataset, CropSplit::TestSeen).unwrap();
    let random_unseen = eval::siglip_selection(random, &dataset, CropSplit::TestUnseen).unwrap();
    let report = format!("seen {seen:?} random {random_seen:?}; held out {unseen:?} random {random_unseen:?}");
    eprintln!("{report}");
    assert!(seen.accuracy.total >= 40, "too few seen targets: {report}");
    assert!(unseen.accuracy.total >= 20, "too few held-out targets: {report}");
    assert!(seen.accuracy.share() >= MIN_SELECTION_SEEN, "{report}");
    assert!(unseen.accuracy.share() >= MIN_SELECTION_UNSEEN, "{report}");
    assert!(seen.accuracy.share() - random_seen.accuracy.share() >= MIN_GAIN_OVER_RANDOM, "{report}");
    assert!(unseen.accuracy.share() - random_unseen.accuracy.share() >= MIN_GAIN_OVER_RANDOM, "{report}");
}

#[test]
fn shipped_dinov2_keeps_correspondences_across_camera_motion() {
    let dataset = Dataset::open(held_out_dataset()).unwrap();
    let shipped = eval::dinov2_correspondence(Arc::new(Dinov2Encoder::load(SHIPPED_DINOV2, &Device::Cpu).unwrap()), &dataset)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    random_init("dinov2", dir.path());
    let random =
        eval::dinov2_correspondence(Arc::new(Dinov2Encoder::load(dir.path().to_str().unwrap(), &Device::Cpu).unwrap()), &dataset)
            .unwrap();
    let report = format!("shipped {shipped:?}; random {random:?}");
    eprintln!("{report}");
    assert!(shipped.object_points.total >= 1000, "too few points: {report}");
    assert!(shipped.object_points.share() >= MIN_CORRESPONDENCE, "{report}");
    assert!(shipped.object_points.share() - random.object_points.share() >= MIN_GAIN_OVER_RANDOM, "{report}");
}
