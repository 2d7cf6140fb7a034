//! Decision flips: the smallest magnitude along one axis at which perception's decision
//! changes, found by bisection, kept as a counterfactual pair of episodes.
//!
//! A decision "flips" when the object under the chosen candidate differs from the
//! unperturbed episode's, or when the tracker loses the target and did not before. Bisection
//! assumes that once a magnitude flips the decision, larger ones do too. Where that does not
//! hold, the pair found is still a real flip between two tested magnitudes, but not
//! necessarily the smallest.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Serialize;
use tracing::info;

use crate::act::arm::ArmModel;
use crate::episode::{EpisodeSpec, EvidenceRow, RecordedFrame, SceneSession};
use crate::perception::{EventKind, PerceptionConfig};
use crate::perturb::{Axis, PerturbContext, Perturbation};
use crate::scene::LoadedScene;

/// Most episodes one search runs, base and maximum included.
pub const MAX_PROBES: usize = 24;

/// Parameters of one flip search.
pub struct FlipSearch<'a> {
    pub scene: &'a LoadedScene,
    pub arm: &'a ArmModel,
    pub assets: &'a Path,
    pub axis: Axis,
    /// The largest magnitude tried, in the axis's unit; its sign gives the direction.
    pub max_magnitude: f64,
    /// Stop when the bracket is at most this wide (at least 1 on whole-number axes).
    pub tolerance: f64,
    pub seed: u64,
    pub perturbation_seed: u64,
    pub perception: &'a PerceptionConfig,
}

/// One episode of the search.
#[derive(Clone)]
pub struct Probe {
    pub magnitude: f64,
    pub row: EvidenceRow,
    pub frames: Vec<RecordedFrame>,
}

impl Probe {
    pub fn chosen_object(&self) -> Option<&str> {
        self.row.decision.as_ref()?.chosen_object.as_deref()
    }

    pub fn lost_target(&self) -> bool {
        self.row.perception_events.iter().any(|e| e.event.kind == EventKind::Lost)
    }

    /// Returns the recorded frame of the decision step, if perception decided at all.
    pub fn decision_frame(&self) -> Option<&RecordedFrame> {
        let step = self.row.decision.as_ref()?.step;
        self.frames.iter().find(|frame| frame.step == step)
    }
}

/// Result of a search: `before` keeps the base decision, `after` (when found) changed it.
pub struct FlipResult {
    pub base: Probe,
    pub before: Probe,
    pub after: Option<Probe>,
    /// Reason why `after` counts as flipped, in words.
    pub reason: Option<String>,
    /// Every magnitude tried after the unperturbed base, in order.
    pub tried: Vec<Tried>,
}

/// One magnitude a search tried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tried {
    pub magnitude: f64,
    /// Whether the decision at this magnitude differed from the base's.
    pub flipped: bool,
}

/// Runs the bisection.
pub fn search(request: &FlipSearch) -> anyhow::Result<FlipResult> {
    if !request.max_magnitude.is_finite() || request.max_magnitude == 0.0 {
        bail!("--max {} must be a non-zero number in the axis's unit ({})", request.max_magnitude, request.axis.unit());
    }
    let tolerance = if request.axis.is_integer() { request.tolerance.max(1.0) } else { request.tolerance };
    if !(tolerance.is_finite() && tolerance > 0.0) {
        bail!("--tolerance {} must be a positive number in the axis's unit", request.tolerance);
    }
    let context = PerturbContext::new(request.arm.clone(), request.assets);
    let base = probe(request, &context, 0.0)?;
    let mut tried = Vec::new();
    let top = probe(request, &context, request.max_magnitude)?;
    let top_reason = flip_reason(&base, &top);
    tried.push(Tried { magnitude: request.max_magnitude, flipped: top_reason.is_some() });
    if top_reason.is_none() {
        info!(axis = request.axis.name(), max = request.max_magnitude, "no flip up to the maximum magnitude");
        let before = top;
        return Ok(FlipResult { before, base, after: None, reason: None, tried });
    }

    let mut low: Option<Probe> = None;
    let mut high = top;
    let mut reason = top_reason;
    let mut low_magnitude = 0.0;
    while (high.magnitude - low_magnitude).abs() > tolerance && tried.len() + 1 < MAX_PROBES {
        let mut middle = 0.5 * (low_magnitude + high.magnitude);
        if request.axis.is_integer() {
            middle = middle.trunc();
            if middle == low_magnitude || middle == high.magnitude {
                break;
            }
        }
        let candidate = probe(request, &context, middle)?;
        let candidate_reason = flip_reason(&base, &candidate);
        tried.push(Tried { magnitude: middle, flipped: candidate_reason.is_some() });
        if candidate_reason.is_some() {
            high = candidate;
            reason = candidate_reason;
        } else {
            low_magnitude = middle;
            low = Some(candidate);
        }
    }
    let before = low.unwrap_or_else(|| base.clone());
    Ok(FlipResult { base, before, after: Some(high), reason, tried })
}

/// Says how `probe`'s decision differs from `base`'s, or `None` when it does not.
pub fn flip_reason(base: &Probe, probe: &Probe) -> Option<String> {
    if probe.chosen_object() != base.chosen_object() {
        return Some(format!(
            "the chosen object changed from {} to {}",
            base.chosen_object().unwrap_or("nothing"),
            probe.chosen_object().unwrap_or("nothing")
        ));
    }
    if probe.lost_target() && !base.lost_target() {
        let lost = probe.row.perception_events.iter().find(|e| e.event.kind == EventKind::Lost)?;
        return Some(format!("the tracker lost the target at {:.2} s: {}", lost.time_s, lost.event.reason));
    }
    None
}

fn probe(request: &FlipSearch, context: &PerturbContext, magnitude: f64) -> anyhow::Result<Probe> {
    let perturbations = [Perturbation { axis: request.axis, magnitude }];
    let perturbed = crate::perturb::apply_with(&request.scene.scene, &perturbations, request.perturbation_seed, context)?;
    let loaded = LoadedScene {
        scene: perturbed.scene,
        ..request.scene.clone()
    };
    let rates = loaded.scene.rates;
    let mut session = SceneSession::new(loaded, request.arm.clone(), rates, request.assets)?;
    let spec = EpisodeSpec {
        episode: 0,
        seed: request.seed,
        perception: request.perception.clone(),
        save_frames: None,
        frame_effects: perturbed.frame_effects,
        record_frames: true,
    };
    let (mut row, frames) = session.run_recorded(&spec);
    row.perturbation = perturbed.labels;
    info!(
        axis = request.axis.name(),
        magnitude,
        chosen = row.decision.as_ref().and_then(|d| d.chosen_object.as_deref()).unwrap_or("-"),
        success = row.outcome.success,
        "probe finished"
    );
    Ok(Probe { magnitude, row, frames })
}

/// Summary of a search written as `flip.json`.
#[derive(Debug, Serialize)]
pub struct FlipRecord {
    pub scene: String,
    pub axis: String,
    pub unit: String,
    pub seed: u64,
    pub perception: String,
    pub found: bool,
    /// Largest magnitude tried that kept the base decision.
    pub before_magnitude: f64,
    /// Smallest magnitude tried that flipped it.
    pub after_magnitude: Option<f64>,
    pub reason: Option<String>,
    pub base_chosen_object: Option<String>,
    /// Magnitudes tried after the base (magnitude 0), in order.
    pub tried: Vec<Tried>,
}

/// Writes `flip.json`, `evidence.jsonl` (both rows appended) and `before/` and `after/`
/// directories with each episode's row and decision frame into `dir`.
pub fn write_result(dir: &Path, result: &FlipResult, request: &FlipSearch) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}; pass a writable --out", dir.display()))?;
    let record = FlipRecord {
        scene: request.scene.scene.name.clone(),
        axis: request.axis.name().to_owned(),
        unit: request.axis.unit().to_owned(),
        seed: request.seed,
        perception: request.perception.name.clone(),
        found: result.after.is_some(),
        before_magnitude: result.before.magnitude,
        after_magnitude: result.after.as_ref().map(|p| p.magnitude),
        reason: result.reason.clone(),
        base_chosen_object: result.base.chosen_object().map(str::to_owned),
        tried: result.tried.clone(),
    };
    let mut written = Vec::new();
    let summary = dir.join("flip.json");
    std::fs::write(&summary, serde_json::to_string_pretty(&record)?)
        .with_context(|| format!("cannot write {}", summary.display()))?;
    written.push(summary);

    let mut writer = crate::episode::EvidenceWriter::create(dir)?;
    let mut sides = vec![("before", &result.before)];
    if let Some(after) = &result.after {
        sides.push(("after", after));
    }
    for (name, probe) in sides {
        writer.append(&probe.row)?;
        let side_dir = dir.join(name);
        std::fs::create_dir_all(&side_dir).with_context(|| format!("cannot create {}", side_dir.display()))?;
        let row_path = side_dir.join("row.json");
        std::fs::write(&row_path, serde_json::to_string_pretty(&probe.row)?)
            .with_context(|| format!("cannot write {}", row_path.display()))?;
        written.push(row_path);
        if let Some(frame) = probe.decision_frame() {
            let path = side_dir.join("decision.png");
            frame.rgb.save(&path).with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
            let context = crate::gallery::OverlayContext::from_row(&probe.row);
            let path = side_dir.join("decision_overlay.png");
            crate::gallery::overlay(frame, &context)
                .save(&path)
                .with_context(|| format!("cannot write {}", path.display()))?;
            written.push(path);
        }
    }
    written.push(writer.path().to_path_buf());
    Ok(written)
}
