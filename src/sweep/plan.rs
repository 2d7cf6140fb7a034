//! The sweep plan: every episode a sweep file requests, as jobs in a fixed order with stable
//! keys, and the share of them that one shard runs.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::file::{PerceptionEntry, SweepFile};
use crate::episode::SweepTag;
use crate::perturb::Perturbation;

/// Axis name of the unperturbed jobs.
pub const BASE_AXIS: &str = "base";

/// Hex digits of the SHA-256 digest kept as a job key.
pub const JOB_KEY_HEX_DIGITS: usize = 16;

/// One episode of a sweep: everything a worker needs to run it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub key: String,
    /// Position in the whole plan (before sharding).
    pub index: usize,
    pub sweep: String,
    pub scene: PathBuf,
    /// SHA-256 of the base scene file.
    pub scene_sha256: String,
    /// Every perturbation applied, in order: the sweep's `with`, the axis's `with`, then the
    /// swept one.
    pub perturbations: Vec<Perturbation>,
    pub perturbation_seed: u64,
    /// The swept axis (`base` for none), its magnitude and unit.
    pub axis: String,
    pub magnitude: f64,
    pub unit: String,
    pub perception: PerceptionEntry,
    pub episode: u64,
    pub seed: u64,
    pub timeout_s: f64,
    /// Write the gallery of this episode if it fails.
    pub gallery: bool,
}

impl Job {
    pub fn tag(&self) -> SweepTag {
        SweepTag {
            sweep: self.sweep.clone(),
            job: self.key.clone(),
            perception_label: self.perception.label.clone(),
            baseline: self.perception.baseline,
            axis: self.axis.clone(),
            magnitude: self.magnitude,
            unit: self.unit.clone(),
        }
    }
}

/// A scene of the sweep with what the plan needs of it.
#[derive(Debug, Clone)]
pub struct PlannedScene {
    pub path: PathBuf,
    /// The scene's `name`, which axes' `scenes` lists refer to.
    pub name: String,
    pub sha256: String,
    pub seed: u64,
}

/// Expands a sweep file into jobs ordered by scene, axis, magnitude, perception and seed.
/// `scenes` gives the hash and base seed of each of the file's scenes, in the file's order.
pub fn plan(sweep: &SweepFile, scenes: &[PlannedScene]) -> Vec<Job> {
    // (axis name, magnitude, unit, perturbations, scene names the axis is limited to)
    let mut variants: Vec<(String, f64, String, Vec<Perturbation>, &[String])> = Vec::new();
    if sweep.base {
        variants.push((BASE_AXIS.to_owned(), 0.0, String::new(), sweep.with.clone(), &[]));
    }
    for axis in &sweep.axes {
        for &magnitude in &axis.magnitudes {
            let mut perturbations = sweep.with.clone();
            perturbations.extend(axis.with.iter().copied());
            perturbations.push(Perturbation { axis: axis.axis, magnitude });
            let unit = axis.axis.unit().to_owned();
            variants.push((axis.axis.name().to_owned(), magnitude, unit, perturbations, &axis.scenes));
        }
    }

    let mut jobs = Vec::new();
    for scene in scenes {
        let first_seed = sweep.first_seed.unwrap_or(scene.seed);
        let applies = |only: &[String]| only.is_empty() || only.contains(&scene.name);
        for (axis, magnitude, unit, perturbations, _) in variants.iter().filter(|v| applies(v.4)) {
            for perception in &sweep.perceptions {
                for episode in 0..sweep.episodes {
                    let seed = first_seed + episode;
                    let key = job_key(&scene.sha256, perturbations, sweep.perturbation_seed, seed, perception);
                    let perception = sweep.resolved_perception(perception);
                    jobs.push(Job {
                        key,
                        index: jobs.len(),
                        sweep: sweep.name.clone(),
                        scene: scene.path.clone(),
                        scene_sha256: scene.sha256.clone(),
                        perturbations: perturbations.clone(),
                        perturbation_seed: sweep.perturbation_seed,
                        axis: axis.clone(),
                        magnitude: *magnitude,
                        unit: unit.clone(),
                        perception,
                        episode,
                        seed,
                        timeout_s: sweep.episode_timeout_s,
                        gallery: sweep.gallery,
                    });
                }
            }
        }
    }
    jobs
}

/// Key of one episode: the same scene bytes, perturbations, seeds and perception entry (with
/// its paths as the sweep file writes them) give the same key in every run, shard, machine and
/// working directory.
pub fn job_key(
    scene_sha256: &str,
    perturbations: &[Perturbation],
    perturbation_seed: u64,
    seed: u64,
    perception: &PerceptionEntry,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(scene_sha256.as_bytes());
    for perturbation in perturbations {
        hasher.update(b"\0");
        hasher.update(perturbation.label().as_bytes());
    }
    hasher.update(format!("\0{perturbation_seed}\0{seed}\0").as_bytes());
    let entry = serde_json::to_string(perception).expect("a perception entry always serialises");
    hasher.update(entry.as_bytes());
    let digest = hasher.finalize();
    digest.iter().map(|byte| format!("{byte:02x}")).collect::<String>()[..JOB_KEY_HEX_DIGITS].to_owned()
}

/// One of `count` disjoint shares of a plan, `index` counted from 1 as in `--shard 2/4`.
/// Job `i` of the plan belongs to shard `i mod count + 1`, so shards stay balanced across
/// scenes and axes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    pub fn contains(&self, job: &Job) -> bool {
        job.index % self.count as usize == (self.index - 1) as usize
    }
}

impl FromStr for Shard {
    type Err = anyhow::Error;

    fn from_str(text: &str) -> anyhow::Result<Self> {
        let invalid = || format!("invalid shard {text:?}; write I/N with 1 <= I <= N, e.g. 2/4");
        let (index, count) = text.split_once('/').with_context(invalid)?;
        let index: u32 = index.trim().parse().with_context(invalid)?;
        let count: u32 = count.trim().parse().with_context(invalid)?;
        if count == 0 || index == 0 || index > count {
            bail!(invalid());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::perturb::Axis;
    use crate::sweep::file::AxisSweep;

    fn entry(label: &str) -> PerceptionEntry {
        PerceptionEntry {
            label: label.to_owned(),
            perception: label.to_owned(),
            siglip: None,
            dinov2: None,
            clip: None,
            exemplar: None,
            prompts: Vec::new(),
            on_loss: None,
            baseline: true,
        }
    }

    fn sweep() -> SweepFile {
        SweepFile {
            name: "test".to_owned(),
            scenes: vec!["a.ron".into(), "b.ron".into()],
            episodes: 2,
            first_seed: None,
            perceptions: vec![entry("oracle"), entry("random")],
            axes: vec![AxisSweep {
                axis: Axis::CameraAzimuth,
                magnitudes: vec![10.0, 20.0, 30.0],
                with: Vec::new(),
                scenes: Vec::new(),
            }],
            base: true,
            with: Vec::new(),
            perturbation_seed: 0,
            episode_timeout_s: 60.0,
            gallery: false,
            dir: PathBuf::new(),
        }
    }

    fn scenes() -> Vec<PlannedScene> {
        vec![
            PlannedScene { path: "a.ron".into(), name: "a".into(), sha256: "aa".into(), seed: 100 },
            PlannedScene { path: "b.ron".into(), name: "b".into(), sha256: "bb".into(), seed: 200 },
        ]
    }

    #[test]
    fn plan_counts_every_combination() {
        let jobs = plan(&sweep(), &scenes());
        // 2 scenes x (base + 3 magnitudes) x 2 perceptions x 2 episodes.
        assert_eq!(jobs.len(), 32);
        assert!(jobs.iter().enumerate().all(|(i, job)| job.index == i));
        assert_eq!(jobs[0].seed, 100);
        assert_eq!(jobs[1].seed, 101);
        assert_eq!(jobs[16].seed, 200);
        assert_eq!(jobs[0].axis, BASE_AXIS);
        assert!(jobs[0].perturbations.is_empty());
    }

    #[test]
    fn axis_limited_to_named_scenes() {
        let mut limited = sweep();
        limited.axes[0].scenes = vec!["b".to_owned()];
        let jobs = plan(&limited, &scenes());
        // Scene a runs only the base; scene b runs base + 3 magnitudes.
        assert_eq!(jobs.len(), 4 + 16);
        assert!(jobs.iter().filter(|j| j.scene.to_str() == Some("a.ron")).all(|j| j.axis == BASE_AXIS));
    }

    #[test]
    fn job_keys_are_unique_and_stable() {
        let first = plan(&sweep(), &scenes());
        let again = plan(&sweep(), &scenes());
        let keys: std::collections::BTreeSet<&str> = first.iter().map(|j| j.key.as_str()).collect();
        assert_eq!(keys.len(), first.len());
        assert_eq!(first, again);
        assert_eq!(first[0].key.len(), JOB_KEY_HEX_DIGITS);
    }

    #[test]
    fn job_key_follows_perception_settings() {
        let mut other = entry("oracle");
        other.prompts = vec!["a photo of {}".to_owned()];
        assert_ne!(job_key("aa", &[], 0, 1, &entry("oracle")), job_key("aa", &[], 0, 1, &other));
    }

    #[test]
    fn shards_partition_the_plan() {
        let jobs = plan(&sweep(), &scenes());
        let shards = [Shard { index: 1, count: 3 }, Shard { index: 2, count: 3 }, Shard { index: 3, count: 3 }];
        for job in &jobs {
            assert_eq!(shards.iter().filter(|s| s.contains(job)).count(), 1, "job {} in one shard", job.index);
        }
        assert!(jobs.iter().all(|job| Shard::WHOLE.contains(job)));
    }

    #[test]
    fn shard_parses_and_rejects() {
        assert_eq!("2/4".parse::<Shard>().unwrap(), Shard { index: 2, count: 4 });
        for bad in ["0/4", "5/4", "1/0", "2", "a/b"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad} is rejected");
        }
    }
}
