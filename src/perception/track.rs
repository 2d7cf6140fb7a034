//! Tracking by patch-feature matching: is this still the same object, and where is it now?
//!
//! The template is the set of patch features inside the chosen proposal's mask. Each new frame
//! is scored cell by cell with the mean of its best cosine similarities to the template
//! features, inside a search window around the last position. The cells near the peak that score close to it form
//! the matched region. Its similarity-weighted centroid is the match in the image, and the
//! nearer half of its depth pixels, lifted with the calibrated camera, is the 3D estimate.

use bevy::math::Vec3;
use image::RgbImage;
use serde::{Deserialize, Serialize};

use super::Observation;
pub use super::patches::{ColourPatches, DINOV2_SHORT_SIDE_PX, Dinov2Patches};

/// Patch features of one image on a regular grid, each row L2-normalised.
#[derive(Debug, Clone)]
pub struct PatchGrid {
    pub rows: usize,
    pub cols: usize,
    pub dim: usize,
    /// `rows * cols * dim` values, row-major over cells.
    pub features: Vec<f32>,
    /// Width and height of one cell in frame pixels.
    pub cell_px: [f32; 2],
}

impl PatchGrid {
    /// Builds a grid from raw features and normalises each cell's vector.
    pub fn new(rows: usize, cols: usize, dim: usize, mut features: Vec<f32>, cell_px: [f32; 2]) -> Self {
        assert_eq!(features.len(), rows * cols * dim, "features must be rows x cols x dim");
        for cell in features.chunks_mut(dim.max(1)) {
            let norm = cell.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                cell.iter_mut().for_each(|x| *x /= norm);
            }
        }
        Self { rows, cols, dim, features, cell_px }
    }

    pub fn feature(&self, cell: usize) -> &[f32] {
        &self.features[cell * self.dim..(cell + 1) * self.dim]
    }

    /// Cell that contains pixel `(u, v)`.
    pub fn cell_of(&self, u: u32, v: u32) -> usize {
        let col = ((u as f32 + 0.5) / self.cell_px[0]) as usize;
        let row = ((v as f32 + 0.5) / self.cell_px[1]) as usize;
        row.min(self.rows - 1) * self.cols + col.min(self.cols - 1)
    }

    /// Centre of a cell in continuous pixel coordinates.
    pub fn cell_centre(&self, cell: usize) -> [f32; 2] {
        let (row, col) = (cell / self.cols, cell % self.cols);
        [(col as f32 + 0.5) * self.cell_px[0], (row as f32 + 0.5) * self.cell_px[1]]
    }

    /// Cells covered by at least [`MIN_MASK_SHARE`] of their pixels in a mask given as
    /// row-major pixel indices of an image `width` pixels wide.
    pub fn cells_in_mask(&self, pixels: &[usize], width: u32) -> Vec<usize> {
        let mut counts = vec![0usize; self.rows * self.cols];
        for &index in pixels {
            counts[self.cell_of(index as u32 % width, index as u32 / width)] += 1;
        }
        let cell_area = self.cell_px[0] * self.cell_px[1];
        let mut cells: Vec<usize> = (0..counts.len())
            .filter(|&cell| counts[cell] as f32 >= MIN_MASK_SHARE * cell_area)
            .collect();
        if cells.is_empty() {
            // A mask smaller than a cell still gets the cell that contains most of it.
            cells.extend(counts.iter().enumerate().max_by_key(|(_, n)| **n).filter(|(_, n)| **n > 0).map(|(c, _)| c));
        }
        cells
    }

    /// Mean of the given cells' features, L2-normalised.
    pub fn mean_feature(&self, cells: &[usize]) -> Vec<f32> {
        let mut mean = vec![0.0; self.dim];
        for &cell in cells {
            mean.iter_mut().zip(self.feature(cell)).for_each(|(m, x)| *m += x);
        }
        let norm = mean.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm > 0.0 {
            mean.iter_mut().for_each(|x| *x /= norm);
        }
        mean
    }
}

/// Share of the template cells, best first, whose similarities are averaged into a cell's
/// match score.
pub const TEMPLATE_TOP_SHARE: f32 = 0.25;

/// Share of a cell's pixels a mask must cover for the cell to join the template.
pub const MIN_MASK_SHARE: f32 = 0.5;

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// An image encoder that yields a grid of patch features.
pub trait PatchFeatureExtractor: Send {
    fn extract(&mut self, image: &RgbImage) -> anyhow::Result<PatchGrid>;
    /// Returns the model and its settings, for evidence rows.
    fn record(&self) -> serde_json::Value;
}

/// Tuning of the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TrackerSettings {
    /// Matches with a mean similarity below this count as lost.
    pub loss_threshold: f32,
    /// Radius of the search window around the last position, in cells.
    pub search_radius_cells: f32,
    /// Cells near the peak that score at least this share of the peak join the matched region.
    pub region_share_of_peak: f32,
    /// Share of the matched cells' depth pixels, nearest first, whose 3D points are averaged
    /// into the estimate.
    pub front_share: f32,
}

impl Default for TrackerSettings {
    fn default() -> Self {
        Self {
            loss_threshold: 0.5,
            search_radius_cells: 4.0,
            region_share_of_peak: 0.9,
            front_share: 0.5,
        }
    }
}

/// Reason a frame yielded no estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossReason {
    LowConfidence,
    NoValidDepth,
}

impl LossReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LowConfidence => "low_confidence",
            Self::NoValidDepth => "no_valid_depth",
        }
    }
}

/// Per-cell match scores of one tracking step, for overlays: how much each patch of the frame
/// looks like the template. Cells outside the search window or on the robot are `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeatMap {
    pub rows: usize,
    pub cols: usize,
    /// Width and height of one cell in frame pixels.
    pub cell_px: [f32; 2],
    /// `rows * cols` scores, row-major; cosine-based, so in -1..=1.
    pub scores: Vec<Option<f32>>,
    /// Similarity-weighted centroid of the matched region in frame pixels, the image point of
    /// the estimate. `None` when the step kept no estimate (the target was lost).
    pub matched_pixel: Option<[f32; 2]>,
}

/// The tracker's result for one frame.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackUpdate {
    /// Similarity-weighted centroid of the matched region, continuous pixel coordinates.
    pub pixel: [f32; 2],
    /// Mean similarity of the matched region's cells.
    pub confidence: f32,
    /// World position of the match; `None` when lost.
    pub position: Option<Vec3>,
    pub lost: Option<LossReason>,
    /// The scores the match was found in.
    pub heat: HeatMap,
}

/// Follows one object through frames by its patch template.
///
/// TODO: the template is never updated, so a view far from the selection view (beyond the
/// 60 degree sweep that the orbit test covers) may drop the similarity below the loss threshold.
#[derive(Debug, Clone)]
pub struct Tracker {
    template: Vec<Vec<f32>>,
    /// Extent of the template in cells, the radius of the matched region around the peak.
    region_radius_cells: f32,
    last_pixel: [f32; 2],
    settings: TrackerSettings,
}

impl Tracker {
    /// Takes the template from the cells under `mask` (row-major pixel indices of an image
    /// `width` pixels wide). Returns `None` for an empty mask.
    pub fn start(grid: &PatchGrid, mask: &[usize], width: u32, settings: TrackerSettings) -> Option<Self> {
        let cells = grid.cells_in_mask(mask, width);
        if cells.is_empty() {
            return None;
        }
        let centres: Vec<[f32; 2]> = cells.iter().map(|&c| grid.cell_centre(c)).collect();
        let count = centres.len() as f32;
        let centre = [
            centres.iter().map(|c| c[0]).sum::<f32>() / count,
            centres.iter().map(|c| c[1]).sum::<f32>() / count,
        ];
        let spread = centres
            .iter()
            .map(|c| ((c[0] - centre[0]) / grid.cell_px[0]).hypot((c[1] - centre[1]) / grid.cell_px[1]))
            .fold(0.0f32, f32::max);
        Some(Self {
            template: cells.iter().map(|&c| grid.feature(c).to_vec()).collect(),
            region_radius_cells: spread.max(1.0),
            last_pixel: centre,
            settings,
        })
    }

    pub fn last_pixel(&self) -> [f32; 2] {
        self.last_pixel
    }

    /// Matches the template in `grid`, the features of `observation`'s RGB frame.
    pub fn update(&mut self, grid: &PatchGrid, observation: &Observation) -> TrackUpdate {
        let window = self.settings.search_radius_cells;
        let cells_from = |a: [f32; 2], b: [f32; 2]| ((a[0] - b[0]) / grid.cell_px[0]).hypot((a[1] - b[1]) / grid.cell_px[1]);
        let robot = robot_cells(grid, observation);
        let mut similarity = vec![f32::NEG_INFINITY; grid.rows * grid.cols];
        let mut peak: Option<usize> = None;
        for cell in 0..similarity.len() {
            if robot[cell] || cells_from(grid.cell_centre(cell), self.last_pixel) > window {
                continue;
            }
            similarity[cell] = self.match_score(grid.feature(cell));
            if peak.is_none_or(|best| similarity[cell] > similarity[best]) {
                peak = Some(cell);
            }
        }
        let mut heat = HeatMap {
            rows: grid.rows,
            cols: grid.cols,
            cell_px: grid.cell_px,
            scores: similarity.iter().map(|&s| s.is_finite().then_some(s)).collect(),
            matched_pixel: None,
        };
        let Some(peak) = peak else {
            return self.lost(0.0, LossReason::LowConfidence, heat);
        };

        let peak_centre = grid.cell_centre(peak);
        let floor = similarity[peak] * self.settings.region_share_of_peak;
        let (mut weight, mut sum_u, mut sum_v) = (0.0f32, 0.0f32, 0.0f32);
        let mut region = Vec::new();
        for (cell, &score) in similarity.iter().enumerate() {
            let centre = grid.cell_centre(cell);
            if score >= floor && score > 0.0 && cells_from(centre, peak_centre) <= self.region_radius_cells {
                weight += score;
                sum_u += score * centre[0];
                sum_v += score * centre[1];
                region.push(cell);
            }
        }
        let count = region.len();
        if count == 0 {
            return self.lost(similarity[peak].max(0.0), LossReason::LowConfidence, heat);
        }
        let confidence = weight / count as f32;
        let pixel = [sum_u / weight, sum_v / weight];
        if confidence < self.settings.loss_threshold {
            return self.lost(confidence, LossReason::LowConfidence, heat);
        }
        let Some(position) = lift_region(observation, grid, &region, self.settings.front_share) else {
            return self.lost(confidence, LossReason::NoValidDepth, heat);
        };
        self.last_pixel = pixel;
        heat.matched_pixel = Some(pixel);
        TrackUpdate {
            pixel,
            confidence,
            position: Some(position),
            lost: None,
            heat,
        }
    }

    /// Mean of the best [`TEMPLATE_TOP_SHARE`] of the similarities between `feature` and the
    /// template cells. A plain maximum lets one template cell that shows a highlight or the
    /// background match anything of that appearance.
    fn match_score(&self, feature: &[f32]) -> f32 {
        let mut scores: Vec<f32> = self.template.iter().map(|t| dot(t, feature)).collect();
        scores.sort_by(|a, b| b.total_cmp(a));
        let top = ((scores.len() as f32 * TEMPLATE_TOP_SHARE).ceil() as usize).clamp(1, scores.len());
        scores[..top].iter().sum::<f32>() / top as f32
    }

    fn lost(&self, confidence: f32, reason: LossReason, heat: HeatMap) -> TrackUpdate {
        TrackUpdate {
            pixel: self.last_pixel,
            confidence,
            position: None,
            lost: Some(reason),
            heat,
        }
    }
}

/// Cells that the robot's own links cover for at least [`MIN_MASK_SHARE`] of their pixels.
/// The robot computes where its links are, so the tracker never matches the target on them.
fn robot_cells(grid: &PatchGrid, observation: &Observation) -> Vec<bool> {
    let width = observation.depth.width;
    let robot_pixels: Vec<usize> = observation
        .robot_mask
        .iter()
        .enumerate()
        .filter_map(|(index, &robot)| robot.then_some(index))
        .collect();
    let mut cells = vec![false; grid.rows * grid.cols];
    if robot_pixels.is_empty() {
        return cells;
    }
    let mut counts = vec![0usize; cells.len()];
    for index in robot_pixels {
        counts[grid.cell_of(index as u32 % width, index as u32 / width)] += 1;
    }
    let cell_area = grid.cell_px[0] * grid.cell_px[1];
    for (robot, count) in cells.iter_mut().zip(counts) {
        *robot = count as f32 >= MIN_MASK_SHARE * cell_area;
    }
    cells
}

/// Lifts matched cells to the world: the mean of the nearest `front_share` of their valid
/// depth pixels, unprojected with the camera. An object is in front of what surrounds it,
/// so the nearer pixels of cells on its outline are the object's. Pixels of the robot's own
/// links are skipped. Returns `None` when the cells have no valid depth.
pub fn lift_region(observation: &Observation, grid: &PatchGrid, cells: &[usize], front_share: f32) -> Option<Vec3> {
    let depth = observation.depth;
    let mut samples: Vec<(f32, u32, u32)> = Vec::new();
    for &cell in cells {
        let [centre_u, centre_v] = grid.cell_centre(cell);
        let half = [grid.cell_px[0] / 2.0, grid.cell_px[1] / 2.0];
        let u_range = (centre_u - half[0]).max(0.0) as u32..((centre_u + half[0]) as u32).min(depth.width);
        for v in (centre_v - half[1]).max(0.0) as u32..((centre_v + half[1]) as u32).min(depth.height) {
            for u in u_range.clone() {
                let index = (v * depth.width + u) as usize;
                let d = depth.data[index];
                let robot = observation.robot_mask.get(index).copied().unwrap_or(false);
                if d.is_finite() && d > 0.0 && !robot {
                    samples.push((d, u, v));
                }
            }
        }
    }
    if samples.is_empty() {
        return None;
    }
    samples.sort_by(|a, b| a.0.total_cmp(&b.0));
    let keep = ((samples.len() as f32 * front_share).ceil() as usize).clamp(1, samples.len());
    let sum: Vec3 = samples[..keep].iter().map(|&(d, u, v)| observation.camera.unproject(u, v, d)).sum();
    Some(sum / keep as f32)
}
