//! Reading a dataset written by `pickloop dataset`: its manifest, object crops with captions,
//! and view pairs with ground-truth point correspondences.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use image::RgbImage;
use serde::Deserialize;

/// Format tag that `manifest.json` must carry.
pub const DATASET_FORMAT: &str = "pickloop-dataset/1";

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub seed: u64,
    pub scenes: usize,
    pub size_px: u32,
    /// Colour and shape combinations kept out of the training split.
    pub held_out: Vec<Vec<String>>,
    pub vocabulary: Vec<String>,
    pub command: String,
}

/// Split of an object crop: training scenes, or test scenes for seen and held-out
/// colour-shape combinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CropSplit {
    Train,
    TestSeen,
    TestUnseen,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
pub struct ObjectAttributes {
    pub shape: String,
    pub colour: String,
    pub size: String,
    pub material: String,
    pub support: String,
}

/// One object seen in one render.
#[derive(Debug, Clone, Deserialize)]
pub struct CropRecord {
    pub id: String,
    pub split: CropSplit,
    /// The render the crop came from; a group's crops are one selection problem's candidates.
    pub group: String,
    pub image: PathBuf,
    /// Inclusive pixel corners `[u_min, v_min, u_max, v_max]` in the render.
    pub bbox: [u32; 4],
    pub object: ObjectAttributes,
    pub captions: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairSplit {
    Train,
    Test,
}

/// Two renders of one scene from different camera poses.
#[derive(Debug, Clone, Deserialize)]
pub struct PairRecord {
    pub id: String,
    pub split: PairSplit,
    pub a: PathBuf,
    pub b: PathBuf,
    /// `[u_a, v_a, u_b, v_b, instance_id]`: a pixel of render A and where the same surface
    /// point appears in render B, in pixels.
    pub points: Vec<[f32; 5]>,
}

/// A dataset directory, with its records in memory and its images loaded on demand.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub root: PathBuf,
    pub manifest: Manifest,
    pub crops: Vec<CropRecord>,
    pub pairs: Vec<PairRecord>,
}

impl Dataset {
    pub fn open(root: &Path) -> Result<Self> {
        let manifest_path = root.join("manifest.json");
        let manifest: Manifest = serde_json::from_str(
            &fs::read_to_string(&manifest_path)
                .with_context(|| format!("cannot read {}; write a dataset with `pickloop dataset --out {}`", manifest_path.display(), root.display()))?,
        )
        .with_context(|| format!("{} is not a pickloop dataset manifest", manifest_path.display()))?;
        ensure!(
            manifest.format == DATASET_FORMAT,
            "{} has format {:?}; this pickloop reads {DATASET_FORMAT:?}, so write the dataset again with `pickloop dataset`",
            manifest_path.display(),
            manifest.format
        );
        Ok(Self {
            crops: read_jsonl(&root.join("crops.jsonl"))?,
            pairs: read_jsonl(&root.join("pairs.jsonl"))?,
            root: root.to_path_buf(),
            manifest,
        })
    }

    /// Loads an image by its dataset-relative path.
    pub fn image(&self, relative: &Path) -> Result<RgbImage> {
        let path = self.root.join(relative);
        Ok(image::open(&path)
            .with_context(|| format!("cannot read dataset image {}", path.display()))?
            .to_rgb8())
    }

    pub fn crops_in(&self, split: CropSplit) -> impl Iterator<Item = &CropRecord> {
        self.crops.iter().filter(move |crop| crop.split == split)
    }

    pub fn pairs_in(&self, split: PairSplit) -> impl Iterator<Item = &PairRecord> {
        self.pairs.iter().filter(move |pair| pair.split == split)
    }

    /// Crops of `split` grouped by render, in the order their groups first appear.
    pub fn groups(&self, split: CropSplit) -> Vec<Vec<&CropRecord>> {
        let mut order: Vec<&str> = Vec::new();
        let mut groups: HashMap<&str, Vec<&CropRecord>> = HashMap::new();
        for crop in &self.crops {
            // A group's candidates come from every split of its render: a test render contains
            // seen and held-out objects side by side.
            let entry = groups.entry(crop.group.as_str()).or_insert_with(|| {
                order.push(crop.group.as_str());
                Vec::new()
            });
            entry.push(crop);
        }
        order
            .into_iter()
            .filter_map(|group| groups.remove(group))
            .filter(|crops| crops.iter().any(|crop| crop.split == split))
            .collect()
    }

    /// Path of the render a crop was cut from: the group's name under `renders/`.
    pub fn render_of(&self, crop: &CropRecord) -> PathBuf {
        PathBuf::from("renders").join(format!("{}.png", crop.group))
    }
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>> {
    let text = fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut records = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(record) => records.push(record),
            Err(err) => bail!("{}:{}: {err}; write the dataset again with `pickloop dataset`", path.display(), index + 1),
        }
    }
    Ok(records)
}
