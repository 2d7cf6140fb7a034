//! A sweep worker: a child process that reads jobs as JSON lines on standard input, runs each
//! episode, and writes one JSON reply line per job on standard output.
//!
//! Episodes run in worker processes so that a panic, an abort or a hang inside rendering,
//! physics or an encoder ends one worker, never the sweep: the parent records the job as
//! `error` and starts a new worker.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::plan::Job;
use super::rows::error_row;
use crate::act::arm::ArmModel;
use crate::episode::{EpisodeSpec, EvidenceRow, RecordedFrame, SceneSession};
use crate::perception::PerceptionConfig;
use crate::perturb::{PerturbContext, Perturbed};
use crate::scene::LoadedScene;

/// Loads and validates a base scene and the arm it names (the CLI's scene loading).
pub type SceneLoader = fn(&Path, &Path) -> anyhow::Result<(LoadedScene, ArmModel)>;

/// Environment variable with faults to inject, for testing the runner: a comma-separated list
/// of `panic@INDEX` and `hang@INDEX`, where INDEX is a job's position in the plan.
pub const FAULT_ENV: &str = "PICKLOOP_SWEEP_FAULT";

/// A worker's reply to one job.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reply {
    pub key: String,
    pub row: EvidenceRow,
}

/// Asset directory, output directory and scene loader of a worker.
pub struct WorkerContext {
    pub assets: PathBuf,
    pub out_dir: PathBuf,
    pub load_scene: SceneLoader,
}

/// Serves jobs until standard input closes (the parent finished or died).
pub fn serve(input: impl BufRead, mut output: impl Write, context: &WorkerContext) -> anyhow::Result<()> {
    let faults = std::env::var(FAULT_ENV).unwrap_or_default();
    let mut state = WorkerState::default();
    for line in input.lines() {
        let line = line.context("cannot read the next job from the sweep runner")?;
        if line.trim().is_empty() {
            continue;
        }
        let job: Job = serde_json::from_str(&line).context("the sweep runner sent a job this worker cannot parse")?;
        inject_fault(&faults, job.index);
        let row = state.run(&job, context);
        let reply = Reply { key: job.key.clone(), row };
        serde_json::to_writer(&mut output, &reply)?;
        output.write_all(b"\n")?;
        output.flush().context("cannot send the row to the sweep runner")?;
    }
    Ok(())
}

/// Panics or hangs on the jobs listed in [`FAULT_ENV`].
fn inject_fault(faults: &str, index: usize) {
    for fault in faults.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        let Some((kind, at)) = fault.split_once('@') else { continue };
        if at.parse::<usize>().ok() != Some(index) {
            continue;
        }
        match kind {
            "panic" => panic!("fault injected by {FAULT_ENV} at job {index}"),
            "hang" => loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
            },
            _ => warn!("unknown fault kind {kind:?} in {FAULT_ENV}; use panic@INDEX or hang@INDEX"),
        }
    }
}

/// Loaded checkpoints, scenes and the last scene's renderer, reused across jobs.
#[derive(Default)]
struct WorkerState {
    perceptions: HashMap<String, PerceptionConfig>,
    /// Base scenes by path, with their arm and validation context.
    scenes: HashMap<PathBuf, (LoadedScene, PerturbContext)>,
    /// The renderer of the last perturbed scene, keyed by that scene's RON text.
    session: Option<(String, SceneSession)>,
}

impl WorkerState {
    fn run(&mut self, job: &Job, context: &WorkerContext) -> EvidenceRow {
        let started = Instant::now();
        match self.try_run(job, context) {
            Ok(row) => row,
            Err(error) => {
                warn!(job = %job.key, "episode could not run: {error:#}");
                let detail = format!("{error:#}");
                let wall = started.elapsed().as_secs_f32();
                match self.scenes.get(&job.scene) {
                    Some((loaded, _)) => error_row(job, loaded, detail, wall),
                    None => match (context.load_scene)(&job.scene, &context.assets) {
                        Ok((loaded, _)) => error_row(job, &loaded, detail, wall),
                        // The scene itself cannot be read: the parent checked it at the start,
                        // so the file changed while the sweep ran.
                        Err(scene_error) => panic!("scene {} became unreadable during the sweep: {scene_error:#}", job.scene.display()),
                    },
                }
            }
        }
    }

    fn try_run(&mut self, job: &Job, context: &WorkerContext) -> anyhow::Result<EvidenceRow> {
        let perturbed = self.prepare_session(job, context)?;
        let perception = self.perception(job)?;
        let spec = EpisodeSpec {
            episode: job.episode,
            seed: job.seed,
            perception,
            save_frames: None,
            frame_effects: perturbed.frame_effects.clone(),
            record_frames: job.gallery,
        };
        let (_, session) = self.session.as_mut().expect("the session was just prepared");
        let (mut row, frames) = session.run_recorded(&spec);
        row.perturbation = perturbed.labels.clone();
        row.sweep = Some(job.tag());
        info!(
            job = %job.key,
            success = row.outcome.success,
            failure = row.outcome.failure.map_or("-", |kind| kind.as_str()),
            wall_s = format!("{:.2}", row.wall_time_s),
            "episode finished"
        );
        if job.gallery && !row.outcome.success && !frames.is_empty() {
            write_gallery(&context.out_dir, &job.key, &frames, &row);
        }
        Ok(row)
    }

    /// Applies the job's perturbations to its base scene and makes sure `self.session` renders
    /// the result, reusing the previous job's renderer when the scene is the same.
    fn prepare_session(&mut self, job: &Job, context: &WorkerContext) -> anyhow::Result<Perturbed> {
        if !self.scenes.contains_key(&job.scene) {
            let (loaded, arm) = (context.load_scene)(&job.scene, &context.assets)?;
            let perturb_context = PerturbContext::new(arm, &context.assets);
            self.scenes.insert(job.scene.clone(), (loaded, perturb_context));
        }
        let (base, perturb_context) = &self.scenes[&job.scene];
        anyhow::ensure!(
            base.sha256 == job.scene_sha256,
            "scene file {} changed since the sweep was planned (SHA-256 {} instead of {}); start the sweep again",
            job.scene.display(),
            base.sha256,
            job.scene_sha256
        );
        let perturbed = crate::perturb::apply_with(&base.scene, &job.perturbations, job.perturbation_seed, perturb_context)
            .with_context(|| format!("cannot apply perturbations to scene {}", job.scene.display()))?;

        let scene_text = ron::to_string(&perturbed.scene).context("cannot serialise the perturbed scene")?;
        if self.session.as_ref().is_none_or(|(text, _)| *text != scene_text) {
            self.session = None;
            let loaded = LoadedScene {
                scene: perturbed.scene.clone(),
                ..base.clone()
            };
            let rates = loaded.scene.rates;
            let session = SceneSession::new(loaded, perturb_context.arm.clone(), rates, &context.assets)?;
            self.session = Some((scene_text, session));
        }
        Ok(perturbed)
    }

    fn perception(&mut self, job: &Job) -> anyhow::Result<PerceptionConfig> {
        let label = &job.perception.label;
        if !self.perceptions.contains_key(label) {
            let config = PerceptionConfig::load(&job.perception.request())
                .with_context(|| format!("cannot load perception {label:?}"))?;
            self.perceptions.insert(label.clone(), config);
        }
        Ok(self.perceptions[label].clone())
    }
}

/// Directory of one job's gallery files inside a sweep's output directory.
pub fn gallery_dir(out_dir: &Path, key: &str) -> PathBuf {
    out_dir.join("gallery").join(key)
}

/// Writes the failure gallery of one episode. A gallery that cannot be written is logged and
/// skipped: the row matters more than its pictures.
fn write_gallery(out_dir: &Path, key: &str, frames: &[RecordedFrame], row: &EvidenceRow) {
    let dir = gallery_dir(out_dir, key);
    if let Err(error) = crate::gallery::write_episode(&dir, frames, row) {
        warn!(job = %key, "cannot write the failure gallery: {error:#}");
    }
}
