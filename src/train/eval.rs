//! Held-out quality of the sim encoders, measured through the same code paths that
//! perception uses in episodes.
//!
//! SigLIP: for each test render, every object whose colour and shape no other candidate
//! shares is named ("red mug") with the default prompt templates, and the crop scorer must
//! rank its crop first among the render's crops. DINOv2: for each test render pair, each
//! ground-truth point of render A is matched to the most similar patch of render B with the
//! tracker's patch extractor. The match counts as right when it lies within one patch (rows
//! and columns) of the patch that shows the point.

use std::sync::Arc;

use anyhow::Result;
use serde::Serialize;

use super::data::{CropSplit, Dataset, PairSplit};
use crate::perception::encoders::{Dinov2Encoder, SiglipEncoder};
use crate::perception::patches::Dinov2Patches;
use crate::perception::select::{
    CropScorer, DEFAULT_TEMPLATES, SiglipScorer, TextEmbeddingCache, fill_templates,
};
use crate::perception::track::{PatchFeatureExtractor, PatchGrid, dot};

/// Instance ids from this value up are supports and robot links, not objects.
const FIRST_SUPPORT_ID: u32 = 0x4000;

/// Correct cases out of all cases.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Accuracy {
    pub correct: usize,
    pub total: usize,
}

impl Accuracy {
    pub fn share(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.correct as f64 / self.total as f64 }
    }

    fn add(&mut self, correct: bool) {
        self.total += 1;
        self.correct += usize::from(correct);
    }
}

/// SigLIP selection accuracy on one split of test crops.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct SelectionAccuracy {
    pub accuracy: Accuracy,
    /// Targets left out because another candidate of the render has the same colour and
    /// shape, so the name cannot single them out.
    pub ambiguous: usize,
    /// Mean number of candidates per question.
    pub mean_candidates: f64,
}

/// Names an object the way instructions do: "red mug".
pub fn object_name(colour: &str, shape: &str) -> String {
    format!("{colour} {shape}")
}

/// Zero-shot selection accuracy of `encoder` on the targets of `split`.
pub fn siglip_selection(encoder: Arc<SiglipEncoder>, dataset: &Dataset, split: CropSplit) -> Result<SelectionAccuracy> {
    let mut scorer = SiglipScorer::new(encoder, Arc::new(TextEmbeddingCache::default()));
    let templates: Vec<String> = DEFAULT_TEMPLATES.iter().map(|t| (*t).to_owned()).collect();
    let mut result = SelectionAccuracy::default();
    let mut candidate_sum = 0usize;
    for group in dataset.groups(split) {
        if group.len() < 2 {
            continue;
        }
        let crops = group
            .iter()
            .map(|crop| dataset.image(&crop.image))
            .collect::<Result<Vec<_>>>()?;
        for (index, target) in group.iter().enumerate() {
            if target.split != split {
                continue;
            }
            let twins = group
                .iter()
                .filter(|other| other.object.colour == target.object.colour && other.object.shape == target.object.shape)
                .count();
            if twins > 1 {
                result.ambiguous += 1;
                continue;
            }
            let prompts = fill_templates(&templates, &object_name(&target.object.colour, &target.object.shape));
            let scores = scorer.score(&crops, &prompts)?;
            let best = scores
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map(|(best, _)| best);
            result.accuracy.add(best == Some(index));
            candidate_sum += group.len();
        }
    }
    result.mean_candidates = candidate_sum as f64 / result.accuracy.total.max(1) as f64;
    Ok(result)
}

/// DINOv2 correspondence accuracy across camera motion.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct CorrespondenceAccuracy {
    /// Every ground-truth point.
    pub all_points: Accuracy,
    /// Points on objects only, the surfaces the tracker follows.
    pub object_points: Accuracy,
    /// Patch grid of the model input, rows and columns.
    pub grid: [usize; 2],
}

fn within_one_patch(grid: &PatchGrid, a: usize, b: usize) -> bool {
    let (row_a, col_a) = ((a / grid.cols) as i64, (a % grid.cols) as i64);
    let (row_b, col_b) = ((b / grid.cols) as i64, (b % grid.cols) as i64);
    (row_a - row_b).abs() <= 1 && (col_a - col_b).abs() <= 1
}

/// Index of the cell of `grid` most similar to `feature`.
fn nearest_cell(grid: &PatchGrid, feature: &[f32]) -> usize {
    (0..grid.rows * grid.cols)
        .max_by(|&a, &b| dot(grid.feature(a), feature).total_cmp(&dot(grid.feature(b), feature)))
        .unwrap_or(0)
}

/// Correspondence accuracy of `encoder` on the test pairs.
pub fn dinov2_correspondence(encoder: Arc<Dinov2Encoder>, dataset: &Dataset) -> Result<CorrespondenceAccuracy> {
    let mut extractor = Dinov2Patches::new(encoder);
    let mut result = CorrespondenceAccuracy::default();
    for pair in dataset.pairs_in(PairSplit::Test) {
        let grid_a = extractor.extract(&dataset.image(&pair.a)?)?;
        let grid_b = extractor.extract(&dataset.image(&pair.b)?)?;
        result.grid = [grid_b.rows, grid_b.cols];
        for &[ua, va, ub, vb, instance] in &pair.points {
            let source = grid_a.cell_of(ua as u32, va as u32);
            let truth = grid_b.cell_of(ub as u32, vb as u32);
            let found = nearest_cell(&grid_b, grid_a.feature(source));
            let right = within_one_patch(&grid_b, found, truth);
            result.all_points.add(right);
            if (instance as u32) < FIRST_SUPPORT_ID {
                result.object_points.add(right);
            }
        }
    }
    Ok(result)
}
