//! Synthetic evidence rows for the report's unit tests.

use crate::episode::{EvidenceRow, FailureKind, SweepTag};

use super::load::LoadedRow;

pub const SCENE_SHA: &str = "6b71d7acb1143b4608d3a19b421b7bd69e08f0e966b3303efecc9b43fd9cb130";

/// Builds a row of scene `tabletop_mugs` as `run` writes it, without a sweep tag.
pub fn plain_row(perception: &str, seed: u64, failure: Option<FailureKind>) -> EvidenceRow {
    let value = serde_json::json!({
        "pickloop_version": "0.1.0",
        "scene": { "name": "tabletop_mugs", "file": "scenes/tabletop_mugs.ron", "sha256": SCENE_SHA },
        "episode": seed - 1000,
        "seed": seed,
        "perception": { "name": perception, "privileged": perception == "oracle", "config": { "loss_policy": "hold", "tracker": { "loss_threshold": 0.5 } } },
        "instruction": "pick up the red mug",
        "target": "red_mug",
        "camera": {
            "id": "front",
            "intrinsics": { "width": 224, "height": 224, "fx": 215.15, "fy": 215.15, "cx": 112.0, "cy": 112.0 },
            "pose_at_decision": null
        },
        "decision": null,
        "perturbation": [],
        "actions": [],
        "confidence_timeline": [],
        "outcome": {
            "success": failure.is_none(),
            "failure": failure,
            "detail": "synthetic outcome",
            "time_s": 4.0
        },
        "rates": { "physics_hz": 240.0, "control_hz": 60.0, "perception_hz": 10.0 },
        "sim_time_s": 4.0,
        "wall_time_s": 1.0
    });
    serde_json::from_value(value).expect("the synthetic row matches EvidenceRow")
}

/// Builds a sweep row for `label` on `axis` at `magnitude`, with a job key unique to its inputs.
pub fn swept_row(label: &str, axis: &str, magnitude: f64, seed: u64, failure: Option<FailureKind>) -> EvidenceRow {
    let mut row = plain_row(label, seed, failure);
    if axis != super::load::BASE_AXIS {
        row.perturbation = vec![format!("{axis}={magnitude}deg")];
    }
    row.sweep = Some(SweepTag {
        sweep: "unit".to_owned(),
        job: format!("{label}-{axis}-{magnitude}-{seed}"),
        perception_label: label.to_owned(),
        baseline: label == "oracle",
        axis: axis.to_owned(),
        magnitude,
        unit: "deg".to_owned(),
    });
    row
}

pub fn loaded(row: EvidenceRow) -> LoadedRow {
    LoadedRow::from_row(row, std::path::Path::new("/runs/a/evidence.jsonl"), 1)
}
