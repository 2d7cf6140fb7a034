//! The pick loop with learned perception on the tiny random-weight checkpoints. The weights are
//! random, so these tests check the plumbing and the evidence, not whether the pick succeeds.

use std::path::{Path, PathBuf};
use std::process::Command;

use pickloop::act::arm::ArmModel;
use pickloop::episode::{EpisodeSpec, EvidenceRow, FailureKind, SceneSession};
use pickloop::perception::config::{PerceptionConfig, PerceptionRequest};
use pickloop::perception::language::LossPolicy;
use pickloop::perception::EventKind;
use pickloop::scene::load_scene;

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn fixture(name: &str) -> String {
    repo_path(&format!("tests/fixtures/reference/{name}")).display().to_string()
}

fn session(scene: &str) -> SceneSession {
    let loaded = load_scene(&repo_path(scene)).expect("shipped scene parses");
    let assets = repo_path("assets");
    let arm = ArmModel::load(assets.join(&loaded.scene.robot.urdf)).expect("shipped arm loads");
    let rates = loaded.scene.rates;
    SceneSession::new(loaded, arm, rates, &assets).expect("renderer starts")
}

/// Builds a request with the tiny checkpoints, and the exemplar, that perception `name` uses.
fn tiny_request(name: &str) -> PerceptionRequest {
    let uses_siglip = name.starts_with("siglip");
    let uses_dinov2 = name.ends_with("dinov2") || name == "dinov2-exemplar";
    PerceptionRequest {
        name: Some(name.to_owned()),
        siglip: uses_siglip.then(|| fixture("siglip-tiny")),
        dinov2: uses_dinov2.then(|| fixture("dinov2-tiny")),
        exemplar: (name == "dinov2-exemplar")
            .then(|| repo_path("tests/fixtures/reference/dinov2-tiny/ref_image_0.png")),
        ..PerceptionRequest::default()
    }
}

fn run_one(session: &mut SceneSession, config: &PerceptionConfig, seed: u64) -> EvidenceRow {
    session.run(&EpisodeSpec {
        episode: 0,
        seed,
        perception: config.clone(),
        save_frames: None,
        frame_effects: Default::default(),
        record_frames: false,
    })
}

fn assert_ran(row: &EvidenceRow) {
    assert_ne!(row.outcome.failure, Some(FailureKind::Error), "{}", row.outcome.detail);
    assert!(!row.perception.privileged);
    let decision = row.decision.as_ref().expect("depth proposals exist, so a selection is made");
    assert!(decision.candidates.len() >= 3, "few candidates: {:?}", decision.candidates);
    assert!(decision.candidates.iter().all(|c| c.candidate.score.is_finite()));
    assert!(decision.chosen.is_some());
    assert!(!row.confidence_timeline.is_empty());
}

#[test]
fn siglip_dinov2_records_evidence() {
    let config = PerceptionConfig::load(&tiny_request("siglip+dinov2")).unwrap();
    let mut session = session("scenes/tabletop_mugs.ron");
    let row = run_one(&mut session, &config, 1000);
    assert_ran(&row);

    let recorded = &row.perception.config;
    let siglip = &recorded["selection"]["checkpoint"];
    assert_eq!(siglip["id"], fixture("siglip-tiny"));
    let weights = siglip["files"].as_array().unwrap().iter().find(|f| f["name"] == "model.safetensors").unwrap();
    assert_eq!(weights["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(recorded["tracking"]["checkpoint"]["id"], fixture("dinov2-tiny"));
    assert_eq!(recorded["prompt_templates"], serde_json::json!(["{}", "a photo of {}"]));
    assert_eq!(recorded["loss_policy"], "hold");

    let first = row.perception_events.first().expect("the selection is recorded as an event");
    assert_eq!(first.event.kind, EventKind::Select);
    assert_eq!(row.decision.as_ref().unwrap().time_s, first.time_s);
    // Tracking runs after the selection, so the timeline contains more than the selection step.
    assert!(row.confidence_timeline.len() > 1, "{:?}", row.confidence_timeline);
    let (hits, misses) = config.text_cache.counts();
    assert_eq!(misses, 2, "one embedding per template");
    assert_eq!(hits, 0, "one selection per episode under the hold policy");

    let mut again = run_one(&mut session, &config, 1000);
    let mut first = row;
    first.wall_time_s = 0.0;
    again.wall_time_s = 0.0;
    assert_eq!(first, again, "one seed gave two different rows");
}

#[test]
fn reselect_policy_and_modes_run() {
    let mut session = session("scenes/tabletop_mugs.ron");

    let mut request = tiny_request("siglip+dinov2");
    request.loss_policy = Some(LossPolicy::Reselect);
    let config = PerceptionConfig::load(&request).unwrap();
    let row = run_one(&mut session, &config, 1001);
    assert_ran(&row);
    assert_eq!(row.perception.config["loss_policy"], "reselect");
    for pair in row.perception_events.windows(2) {
        if pair[0].event.kind == EventKind::Lost && pair[1].step == pair[0].step {
            assert_eq!(pair[1].event.kind, EventKind::Select, "{:?}", row.perception_events);
        }
    }

    let config = PerceptionConfig::load(&tiny_request("siglip-reselect")).unwrap();
    let row = run_one(&mut session, &config, 1002);
    assert_ran(&row);
    assert!(row.perception.config["tracking"].is_null());
    let first = row.perception_events.first().expect("the first selection is recorded");
    assert_eq!(first.event.kind, EventKind::Select);
    for later in &row.perception_events[1..] {
        assert!(later.event.reason.starts_with("switched to a candidate"), "{later:?}");
    }
    let (hits, _) = config.text_cache.counts();
    assert!(hits > 0, "every step after the first reuses the cached text embeddings");

    let config = PerceptionConfig::load(&tiny_request("dinov2-exemplar")).unwrap();
    let row = run_one(&mut session, &config, 1003);
    assert_ran(&row);
    assert!(row.perception.config["exemplar"].as_str().unwrap().ends_with("ref_image_0.png"));
}

#[test]
fn clip_dinov2_runs_episode() {
    let request = PerceptionRequest {
        name: Some("clip+dinov2".to_owned()),
        clip: Some(fixture("clip-tiny")),
        dinov2: Some(fixture("dinov2-tiny")),
        ..PerceptionRequest::default()
    };
    let config = PerceptionConfig::load(&request).unwrap();
    let mut session = session("scenes/tabletop_mugs.ron");
    let row = run_one(&mut session, &config, 1004);
    assert_ran(&row);
    assert_eq!(row.perception.name, "clip+dinov2");
    assert_eq!(row.perception.config["selection"]["checkpoint"]["id"], fixture("clip-tiny"));
    let scores: Vec<f32> = row
        .decision
        .as_ref()
        .unwrap()
        .candidates
        .iter()
        .map(|c| c.candidate.score)
        .collect();
    let total: f32 = scores.iter().sum();
    assert!((total - 1.0).abs() < 1e-4, "CLIP's softmax scores sum to {total}: {scores:?}");
}

#[test]
fn unused_flags_are_rejected() {
    let exemplar = repo_path("tests/fixtures/reference/dinov2-tiny/ref_image_0.png");
    let siglip_alone = PerceptionRequest {
        siglip: Some(fixture("siglip-tiny")),
        ..PerceptionRequest::default()
    };
    let mut reselect_with_dinov2 = tiny_request("siglip-reselect");
    reselect_with_dinov2.dinov2 = Some(fixture("dinov2-tiny"));
    let mut tracking_with_exemplar = tiny_request("siglip+dinov2");
    tracking_with_exemplar.exemplar = Some(exemplar);
    let cases = [
        (siglip_alone, "--siglip", "oracle"),
        (reselect_with_dinov2, "--dinov2", "siglip-reselect"),
        (tracking_with_exemplar, "--exemplar", "siglip+dinov2"),
    ];
    for (request, flag, perception) in cases {
        let error = PerceptionConfig::load(&request).expect_err(flag).to_string();
        assert!(
            error.contains(&format!("{flag} is not used by perception {perception}")),
            "{error}"
        );
    }
}

#[test]
fn missing_checkpoint_names_flag() {
    let request = PerceptionRequest {
        name: Some("siglip+dinov2".to_owned()),
        dinov2: Some(fixture("dinov2-tiny")),
        ..PerceptionRequest::default()
    };
    let error = PerceptionConfig::load(&request).unwrap_err().to_string();
    assert!(error.contains("--siglip"), "{error}");
}

#[test]
fn cli_runs_siglip_dinov2() {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .env("HF_HUB_OFFLINE", "1")
        .args(["run", repo_path("scenes/tabletop_mugs.ron").to_str().unwrap(), "--episodes", "1"])
        .args(["--siglip", &fixture("siglip-tiny"), "--dinov2", &fixture("dinov2-tiny")])
        .args(["--prompt", "a photo of {}", "--on-loss", "reselect", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "status {:?}: {stderr}", output.status);
    let text = std::fs::read_to_string(out.path().join("evidence.jsonl")).unwrap();
    let row: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(row["perception"]["name"], "siglip+dinov2", "checkpoints make it the default");
    assert_eq!(row["perception"]["config"]["prompt_templates"], serde_json::json!(["a photo of {}"]));
    assert_eq!(row["perception"]["config"]["loss_policy"], "reselect");
    assert!(row["perception_events"].as_array().is_some_and(|events| !events.is_empty()));
}
