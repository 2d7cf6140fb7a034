//! `pickloop flip`: the bisection's bracket, the counterfactual pair it writes, and the case
//! where nothing flips.

mod cli_support;

use std::path::Path;

use cli_support::{assert_success, pickloop};
use serde_json::Value;

const SCENE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/tabletop_mugs.ron");

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{} is readable: {e}", path.display()));
    serde_json::from_str(&text).expect("valid JSON")
}

fn chosen_object(row: &Value) -> Option<&str> {
    row["decision"]["chosen_object"].as_str()
}

fn lost_target(row: &Value) -> bool {
    row["perception_events"].as_array().is_some_and(|events| events.iter().any(|e| e["kind"] == "lost"))
}

#[test]
fn flip_writes_a_consistent_pair() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flip");
    let output = pickloop(&[
        "flip", SCENE, "--axis", "camera_azimuth", "--max", "80", "--tolerance", "10",
        "--perception", "random", "--out", out.to_str().unwrap(),
    ]);
    assert_success(&output, "flip --perception random");
    let record = read_json(&out.join("flip.json"));
    assert_eq!(record["axis"], "camera_azimuth");
    assert_eq!(record["unit"], "deg");
    let tried = record["tried"].as_array().unwrap();
    assert!(!tried.is_empty(), "the maximum is always tried");
    assert_eq!(tried[0]["magnitude"].as_f64(), Some(80.0));
    assert!(tried[0]["flipped"].is_boolean());

    let before = read_json(&out.join("before/row.json"));
    assert!(out.join("before/decision.png").is_file());
    assert!(out.join("before/decision_overlay.png").is_file());
    assert_eq!(before["decision"]["chosen_object"].as_str(), record["base_chosen_object"].as_str());
    if record["found"] == true {
        let after = read_json(&out.join("after/row.json"));
        assert!(out.join("after/decision.png").is_file());
        assert!(out.join("after/decision_overlay.png").is_file());
        let (low, high) = (record["before_magnitude"].as_f64().unwrap(), record["after_magnitude"].as_f64().unwrap());
        assert!(low < high, "the bracket is ordered: {low} < {high}");
        assert!(high - low <= 10.0, "the bracket is within the tolerance: {low}..{high}");
        let flipped = chosen_object(&after) != chosen_object(&before) || (lost_target(&after) && !lost_target(&before));
        assert!(flipped, "the after episode differs from the before episode: {:?}", record["reason"]);
        let rows = std::fs::read_to_string(out.join("evidence.jsonl")).unwrap();
        assert_eq!(rows.lines().count(), 2, "both rows are appended");
    }
}

#[test]
fn flip_reports_no_flip_for_privileged_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flip");
    // The oracle reads ground truth, so pixel noise cannot change its choice.
    let output = pickloop(&[
        "flip", SCENE, "--axis", "pixel_noise", "--max", "40", "--perception", "oracle",
        "--out", out.to_str().unwrap(),
    ]);
    assert_success(&output, "flip --perception oracle");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("no flip along pixel_noise"), "stdout: {stdout}");
    let record = read_json(&out.join("flip.json"));
    assert_eq!(record["found"], false);
    assert_eq!(record["base_chosen_object"], "red_mug");
    assert!(!out.join("after").exists());
}

#[test]
fn flip_rejects_zero_maximum() {
    let output = pickloop(&["flip", SCENE, "--axis", "camera_azimuth", "--max", "0", "--perception", "oracle", "--out", "unused"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--max 0"));
}
