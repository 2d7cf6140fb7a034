//! Sweep files: which scenes, perturbations, magnitudes, seeds and perceptions a sweep runs.
//! `docs/sweeps.md` documents every field for sweep authors.

use std::path::{Path, PathBuf};

use anyhow::{ensure, Context};
use serde::{Deserialize, Serialize};

use crate::perception::config::PerceptionRequest;
use crate::perception::language::LossPolicy;
use crate::perception::PERCEPTION_NAMES;
use crate::perturb::{Axis, Perturbation};

/// Default maximum wall-clock time of one episode, seconds; past it the worker is killed.
pub const DEFAULT_EPISODE_TIMEOUT_S: f64 = 600.0;

/// One sweep file, deserialised from RON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Sweep", deny_unknown_fields)]
pub struct SweepFile {
    /// Name recorded in every row's sweep tag; `--resume` and reports match rows by it.
    pub name: String,
    /// Scene files, relative to the sweep file.
    pub scenes: Vec<PathBuf>,
    /// Episodes per scene, perturbation and perception: episode `i` uses seed `first_seed + i`.
    pub episodes: u64,
    /// Seed of episode 0; defaults to each scene's own `seed`.
    #[serde(default)]
    pub first_seed: Option<u64>,
    /// Perception configurations; every job runs once with each.
    pub perceptions: Vec<PerceptionEntry>,
    /// Swept axes with their magnitudes.
    pub axes: Vec<AxisSweep>,
    /// Also run every scene unperturbed (axis `base`, magnitude 0).
    #[serde(default = "default_true")]
    pub base: bool,
    /// Perturbations applied to every job of the sweep, base included, before the swept one.
    #[serde(default)]
    pub with: Vec<Perturbation>,
    /// Seed of the perturbations' own random choices (distractor places, typo positions).
    #[serde(default)]
    pub perturbation_seed: u64,
    /// Wall-clock limit per episode, seconds; a worker past it is killed and the episode is
    /// recorded as `error`.
    #[serde(default = "default_timeout")]
    pub episode_timeout_s: f64,
    /// Keep the frames of failed episodes as a gallery (PNG and GIF per episode).
    #[serde(default = "default_true")]
    pub gallery: bool,
    /// Directory of the sweep file, that relative paths start from.
    #[serde(skip)]
    pub dir: PathBuf,
}

/// One perception configuration of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerceptionEntry {
    /// Name in reports and rows; unique within the sweep.
    pub label: String,
    /// One of the perception names `pickloop run --perception` takes.
    pub perception: String,
    #[serde(default)]
    pub siglip: Option<String>,
    #[serde(default)]
    pub dinov2: Option<String>,
    #[serde(default)]
    pub clip: Option<String>,
    #[serde(default)]
    pub exemplar: Option<PathBuf>,
    /// Prompt templates with `{}`; empty means the default templates.
    #[serde(default)]
    pub prompts: Vec<String>,
    #[serde(default)]
    pub on_loss: Option<LossPolicy>,
    /// A reference (oracle, random) that reports show but `--min-success` gates skip.
    #[serde(default)]
    pub baseline: bool,
}

impl PerceptionEntry {
    pub fn request(&self) -> PerceptionRequest {
        PerceptionRequest {
            name: Some(self.perception.clone()),
            siglip: self.siglip.clone(),
            dinov2: self.dinov2.clone(),
            clip: self.clip.clone(),
            exemplar: self.exemplar.clone(),
            templates: self.prompts.clone(),
            loss_policy: self.on_loss,
        }
    }
}

/// One swept axis: each magnitude becomes its own set of jobs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisSweep {
    pub axis: Axis,
    /// Magnitudes in the axis's unit (`pickloop scene axes` lists units).
    pub magnitudes: Vec<f64>,
    /// Perturbations applied together with this axis only, to compose axes.
    #[serde(default)]
    pub with: Vec<Perturbation>,
    /// Names of the scenes this axis runs on; empty means every scene of the sweep.
    #[serde(default)]
    pub scenes: Vec<String>,
}

fn default_true() -> bool {
    true
}

fn default_timeout() -> f64 {
    DEFAULT_EPISODE_TIMEOUT_S
}

impl SweepFile {
    /// Reads, parses and checks a sweep file, and resolves its relative paths against the
    /// file's directory.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read sweep file {}; pass the path of a RON sweep file, e.g. sweeps/smoke.ron", path.display()))?;
        let mut sweep: SweepFile = crate::scene::load::ron_options()
            .from_str(&text)
            .map_err(|error| anyhow::anyhow!("{}:{error}", path.display()))
            .with_context(|| format!("sweep file {} is not a valid sweep; see docs/sweeps.md", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new(""));
        sweep.resolve_paths(dir);
        sweep.check().with_context(|| format!("invalid sweep file {}", path.display()))?;
        Ok(sweep)
    }

    /// Makes scene paths relative to `dir`. Perception entries keep their paths as written,
    /// so job keys do not depend on the directory the sweep runs from; see
    /// [`resolved_perception`](Self::resolved_perception).
    fn resolve_paths(&mut self, dir: &Path) {
        for scene in &mut self.scenes {
            *scene = join_lexically(dir, scene);
        }
        self.dir = dir.to_path_buf();
    }

    /// Returns `entry` with its checkpoint and exemplar paths made relative to the sweep
    /// file. A checkpoint that names no existing file or directory there is kept as written,
    /// as a hub id.
    pub fn resolved_perception(&self, entry: &PerceptionEntry) -> PerceptionEntry {
        let resolve = |spec: &Option<String>| {
            spec.as_ref().map(|text| {
                let local = join_lexically(&self.dir, Path::new(text));
                if local.exists() { local.display().to_string() } else { text.clone() }
            })
        };
        PerceptionEntry {
            siglip: resolve(&entry.siglip),
            dinov2: resolve(&entry.dinov2),
            clip: resolve(&entry.clip),
            exemplar: entry.exemplar.as_ref().map(|path| join_lexically(&self.dir, path)),
            ..entry.clone()
        }
    }

    fn check(&self) -> anyhow::Result<()> {
        ensure!(!self.name.trim().is_empty(), "`name` is empty; give the sweep a name for its rows");
        ensure!(!self.scenes.is_empty(), "`scenes` is empty; list at least one scene file");
        ensure!(self.episodes > 0, "`episodes` is 0; run at least one episode per job");
        ensure!(!self.perceptions.is_empty(), "`perceptions` is empty; list at least one perception");
        ensure!(
            self.base || !self.axes.is_empty(),
            "the sweep runs nothing: `axes` is empty and `base` is false"
        );
        ensure!(
            self.episode_timeout_s.is_finite() && self.episode_timeout_s > 0.0,
            "`episode_timeout_s` {} must be a positive number of seconds",
            self.episode_timeout_s
        );
        let mut labels = std::collections::BTreeSet::new();
        for entry in &self.perceptions {
            ensure!(
                PERCEPTION_NAMES.contains(&entry.perception.as_str()),
                "perception {:?} of entry {:?} is unknown; use one of {}",
                entry.perception,
                entry.label,
                PERCEPTION_NAMES.join(", ")
            );
            ensure!(labels.insert(entry.label.as_str()), "perception label {:?} appears twice; labels must be unique", entry.label);
        }
        // Magnitudes are checked by applying them, when the sweep is prepared.
        for sweep in &self.axes {
            ensure!(!sweep.magnitudes.is_empty(), "axis {} has no magnitudes", sweep.axis.name());
        }
        Ok(())
    }
}

/// Joins `path` onto `dir` and removes the `.` and `name/..` pairs this creates, without
/// touching the file system. An absolute `path` is returned as is.
pub fn join_lexically(dir: &Path, path: &Path) -> PathBuf {
    use std::path::Component;
    let mut joined = PathBuf::new();
    for component in dir.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir if matches!(joined.components().next_back(), Some(Component::Normal(_))) => {
                joined.pop();
            }
            other => joined.push(other.as_os_str()),
        }
    }
    if joined.as_os_str().is_empty() { PathBuf::from(".") } else { joined }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_lexically_removes_parent_steps() {
        assert_eq!(join_lexically(Path::new("sweeps"), Path::new("../scenes/a.ron")), PathBuf::from("scenes/a.ron"));
        assert_eq!(join_lexically(Path::new(""), Path::new("a.ron")), PathBuf::from("a.ron"));
        assert_eq!(join_lexically(Path::new("x"), Path::new("/abs/a.ron")), PathBuf::from("/abs/a.ron"));
        assert_eq!(join_lexically(Path::new("../up"), Path::new("../b")), PathBuf::from("../b"));
    }
}
