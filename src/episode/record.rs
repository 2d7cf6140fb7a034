//! Record: one evidence row per episode, appended to a JSONL file.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::grade::Outcome;
use crate::act::controller::PhaseEvent;
use crate::observe::{CameraPose, Intrinsics};
use crate::perception::{Candidate, PerceptionEvent};

/// Everything needed to tell which representation decided what, under which conditions, and
/// how the episode ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRow {
    pub pickloop_version: String,
    pub scene: SceneRef,
    pub episode: u64,
    pub seed: u64,
    pub perception: PerceptionRef,
    pub instruction: String,
    /// Id of the object the instruction names (ground truth, for grading).
    pub target: String,
    pub camera: CameraView,
    /// The first perception step that produced an estimate; `None` if none did.
    pub decision: Option<DecisionRecord>,
    /// Perturbations applied on top of the base scene; empty for the base scene itself.
    pub perturbation: Vec<String>,
    /// The controller's phase timeline.
    pub actions: Vec<PhaseEvent>,
    /// Confidence of every perception step, `(time_s, confidence)`; 0 when nothing was seen.
    pub confidence_timeline: Vec<(f32, f32)>,
    /// Selections and target losses in order; empty for perceptions that never report any.
    #[serde(default)]
    pub perception_events: Vec<TimedEvent>,
    pub outcome: Outcome,
    pub rates: RatesRecord,
    pub sim_time_s: f32,
    pub wall_time_s: f32,
    /// The sweep job this episode ran for; absent in rows written by `run`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep: Option<SweepTag>,
}

/// Position of a sweep episode in its sweep. Reports group rows by these fields, `--resume`
/// skips the jobs whose rows exist, and `compare` pairs rows of two sweeps by scene, perturbation
/// and seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepTag {
    /// The sweep file's `name`.
    pub sweep: String,
    /// Identity of the job: 16 hex digits of SHA-256 over the base scene's hash, the
    /// perturbations, the seed and the perception entry. Equal keys mean the same episode.
    pub job: String,
    /// Label of the sweep file's perception entry, e.g. `siglip+dinov2` or `oracle`.
    pub perception_label: String,
    /// True for reference perceptions (oracle, random) that `--min-success` gates skip.
    pub baseline: bool,
    /// The swept axis (`base` for the unperturbed scene) and its magnitude in the axis's unit.
    pub axis: String,
    pub magnitude: f64,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneRef {
    pub name: String,
    pub file: PathBuf,
    /// SHA-256 of the scene file's bytes, hex.
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerceptionRef {
    pub name: String,
    /// True when the perception read simulator ground truth (the oracle baseline).
    pub privileged: bool,
    pub config: serde_json::Value,
}

/// The camera perception saw, with its calibration at the decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CameraView {
    pub id: String,
    pub intrinsics: Intrinsics,
    /// World-from-camera pose at the decision frame (OpenCV axes).
    pub pose_at_decision: Option<CameraPose>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub step: u64,
    pub time_s: f32,
    pub candidates: Vec<ScoredCandidate>,
    pub chosen: Option<usize>,
    /// Object the chosen candidate actually covers in the decision frame, from the grader's
    /// instance ids; `None` when it covers no object.
    pub chosen_object: Option<String>,
}

/// A perception event with the step and time of the frame it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimedEvent {
    pub step: u64,
    pub time_s: f32,
    #[serde(flatten)]
    pub event: PerceptionEvent,
}

/// A candidate with the object the grader found under it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoredCandidate {
    #[serde(flatten)]
    pub candidate: Candidate,
    pub object: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatesRecord {
    pub physics_hz: f32,
    pub control_hz: f32,
    pub perception_hz: f32,
}

/// Appends evidence rows to `DIR/evidence.jsonl`, one JSON object per line, flushed per row
/// so that an interrupted run keeps every finished episode.
pub struct EvidenceWriter {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl EvidenceWriter {
    pub fn create(out_dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(out_dir).with_context(|| {
            format!("cannot create the output directory {}; pass a writable --out", out_dir.display())
        })?;
        let path = out_dir.join("evidence.jsonl");
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot open {} for appending", path.display()))?;
        Ok(Self {
            path,
            writer: BufWriter::new(file),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn append(&mut self, row: &EvidenceRow) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.writer, row)?;
        self.writer.write_all(b"\n")?;
        self.writer
            .flush()
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}
