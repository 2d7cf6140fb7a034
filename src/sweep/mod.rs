//! Sweeps: many episodes across scenes, perturbation axes, magnitudes, seeds and perception
//! configurations, run in worker processes, resumable, and split into shards.
//!
//! A sweep file ([`file`]) expands into a plan of jobs with stable keys ([`plan`]). The runner
//! ([`pool`]) hands jobs to worker processes ([`worker`]) and appends each row to
//! `OUT/evidence.jsonl` as it arrives. `--resume` reads that file ([`resume`]) and runs only
//! the jobs without a row.

pub mod file;
pub mod flip;
pub mod plan;
pub mod pool;
pub mod resume;
pub mod rows;
pub mod worker;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::Serialize;
use tracing::{info, warn};

use crate::episode::{EvidenceRow, EvidenceWriter, FailureKind};
use crate::perturb::PerturbContext;
use crate::scene::LoadedScene;
pub use file::SweepFile;
pub use plan::{Job, Shard};
use plan::PlannedScene;
pub use pool::WorkerCommand;
use pool::Finished;
pub use worker::SceneLoader;

/// Name of the plan summary a sweep writes next to its evidence.
pub const PLAN_FILE: &str = "sweep.json";

/// Settings of one `pickloop sweep` run.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    pub file: PathBuf,
    pub out: PathBuf,
    pub jobs: usize,
    pub resume: bool,
    pub retry_errors: bool,
    pub shard: Shard,
    /// Overrides the file's `episode_timeout_s`.
    pub episode_timeout_s: Option<f64>,
    /// Turns the failure gallery off, whatever the file sets.
    pub no_gallery: bool,
}

/// The counts a finished sweep run reports.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SweepTally {
    /// Jobs of the whole plan.
    pub planned: usize,
    /// Jobs of this shard.
    pub in_shard: usize,
    /// Jobs skipped because `--resume` found their rows.
    pub skipped: usize,
    /// Jobs run now.
    pub ran: usize,
    pub successes: usize,
    pub errors: usize,
}

/// The plan of a sweep with the scenes it loaded, ready to run.
pub struct PreparedSweep {
    pub file: SweepFile,
    pub jobs: Vec<Job>,
    scenes: HashMap<PathBuf, LoadedScene>,
}

/// Loads the sweep file and every scene it names, and expands the plan. Fails on the first
/// invalid scene, before any worker starts.
pub fn prepare(options: &SweepOptions, assets: &Path, load_scene: SceneLoader) -> anyhow::Result<PreparedSweep> {
    let mut file = SweepFile::load(&options.file)?;
    if let Some(limit) = options.episode_timeout_s {
        if !(limit.is_finite() && limit > 0.0) {
            bail!("--episode-timeout {limit} must be a positive number of seconds");
        }
        file.episode_timeout_s = limit;
    }
    if options.no_gallery {
        file.gallery = false;
    }

    let mut scenes = HashMap::new();
    let mut contexts = HashMap::new();
    let mut planned = Vec::new();
    for path in &file.scenes {
        let (loaded, arm) = load_scene(path, assets)
            .with_context(|| format!("sweep {} lists scene {}", file.name, path.display()))?;
        planned.push(PlannedScene {
            path: path.clone(),
            name: loaded.scene.name.clone(),
            sha256: loaded.sha256.clone(),
            seed: loaded.scene.seed,
        });
        scenes.insert(path.clone(), loaded);
        contexts.insert(path.clone(), PerturbContext::new(arm, assets));
    }
    check_axis_scenes(&file, &planned)?;

    let jobs = plan::plan(&file, &planned);
    check_perturbations(&jobs, &scenes, &contexts)?;
    Ok(PreparedSweep { file, jobs, scenes })
}

/// Rejects an axis `scenes` list that names a scene the sweep does not have.
fn check_axis_scenes(file: &SweepFile, planned: &[PlannedScene]) -> anyhow::Result<()> {
    for axis in &file.axes {
        for name in &axis.scenes {
            if !planned.iter().any(|scene| scene.name == *name) {
                let names: Vec<&str> = planned.iter().map(|s| s.name.as_str()).collect();
                bail!(
                    "axis {} of sweep {} lists scene {name:?}, which is not the name of any of its scenes ({}); use one of those names",
                    axis.axis.name(),
                    file.name,
                    names.join(", ")
                );
            }
        }
    }
    Ok(())
}

/// Receives a running sweep's progress.
pub trait Progress {
    /// Called once before the first job starts.
    fn start(&mut self, to_run: usize, skipped: usize);
    /// Called for every row as it is written.
    fn row(&mut self, row: &EvidenceRow);
}

/// Applies every distinct set of perturbations of the plan once, so that a magnitude an axis
/// rejects or a distractor count that does not fit stops the sweep before any worker starts.
fn check_perturbations(
    jobs: &[Job],
    scenes: &HashMap<PathBuf, LoadedScene>,
    contexts: &HashMap<PathBuf, PerturbContext>,
) -> anyhow::Result<()> {
    let mut checked = std::collections::HashSet::new();
    for job in jobs {
        let labels: Vec<String> = job.perturbations.iter().map(|p| p.label()).collect();
        if !checked.insert((job.scene.clone(), labels)) {
            continue;
        }
        let base = &scenes[&job.scene].scene;
        crate::perturb::apply_with(base, &job.perturbations, job.perturbation_seed, &contexts[&job.scene])
            .with_context(|| format!("job {} of sweep {} cannot run", job.index, job.sweep))?;
    }
    Ok(())
}

/// Runs the shard's jobs that have no row yet, appending rows to `OUT/evidence.jsonl`.
pub fn run(
    prepared: &PreparedSweep,
    options: &SweepOptions,
    command: &WorkerCommand,
    progress: &mut dyn Progress,
) -> anyhow::Result<SweepTally> {
    let evidence = options.out.join("evidence.jsonl");
    let finished = resume::read_finished(&evidence, &prepared.file.name)?;
    let shard_jobs: Vec<&Job> = prepared.jobs.iter().filter(|job| options.shard.contains(job)).collect();
    let done = shard_jobs
        .iter()
        .filter(|job| finished.is_done(&job.key, options.retry_errors))
        .count();
    if done > 0 && !options.resume {
        bail!(
            "{} already contains {done} of the {} episodes of sweep {:?} (shard {}); pass --resume to run only the missing ones, or choose another --out",
            evidence.display(),
            shard_jobs.len(),
            prepared.file.name,
            options.shard
        );
    }
    let todo: Vec<Job> = shard_jobs
        .iter()
        .filter(|job| !finished.is_done(&job.key, options.retry_errors))
        .map(|job| (*job).clone())
        .collect();
    let mut tally = SweepTally {
        planned: prepared.jobs.len(),
        in_shard: shard_jobs.len(),
        skipped: shard_jobs.len() - todo.len(),
        ..SweepTally::default()
    };
    let mut writer = EvidenceWriter::create(&options.out)?;
    write_plan(prepared, options, &shard_jobs)?;
    info!(
        sweep = %prepared.file.name,
        shard = %options.shard,
        jobs = todo.len(),
        skipped = tally.skipped,
        workers = options.jobs,
        "running sweep"
    );
    progress.start(todo.len(), tally.skipped);

    pool::run_jobs(todo, options.jobs, command, |finished| {
        let row = match finished {
            Finished::Row(row) => row,
            Finished::Failed(job, failure, elapsed) => {
                let loaded = &prepared.scenes[&job.scene];
                rows::error_row(&job, loaded, failure.detail(), elapsed.as_secs_f32())
            }
        };
        writer.append(&row)?;
        tally.ran += 1;
        tally.successes += usize::from(row.outcome.success);
        tally.errors += usize::from(row.outcome.failure == Some(FailureKind::Error));
        progress.row(&row);
        Ok(())
    })?;
    if tally.errors > 0 {
        warn!(errors = tally.errors, "some episodes ended as `error`; their rows say why");
    }
    Ok(tally)
}

/// Writes `OUT/sweep.json`: the sweep, the shard and the keys of its jobs, so that a report can
/// tell a complete shard from a partial one.
fn write_plan(prepared: &PreparedSweep, options: &SweepOptions, shard_jobs: &[&Job]) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct PlanRecord<'a> {
        sweep: &'a SweepFile,
        file: &'a Path,
        shard: String,
        planned: usize,
        jobs: Vec<&'a str>,
    }
    let record = PlanRecord {
        sweep: &prepared.file,
        file: &options.file,
        shard: options.shard.to_string(),
        planned: prepared.jobs.len(),
        jobs: shard_jobs.iter().map(|job| job.key.as_str()).collect(),
    };
    let path = options.out.join(PLAN_FILE);
    let text = serde_json::to_string_pretty(&record)?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}
