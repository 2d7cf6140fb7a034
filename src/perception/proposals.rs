//! Object proposals from depth: the classic tabletop segmentation of real robots.
//!
//! Depth pixels are lifted to the world with the calibrated camera. Horizontal support planes
//! (table tops, shelf boards) are the peaks of the height histogram of upward-facing pixels.
//! Pixels above the nearest plane below them are grouped into connected components that break
//! at depth discontinuities. No ground truth is used.

use bevy::math::Vec3;
use serde::{Deserialize, Serialize};

use super::Observation;

/// Tuning of the segmentation. Distances are metres.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ProposalSettings {
    /// Minimum |normal.z| of a pixel counted as part of a horizontal surface.
    pub horizontal_normal_min_z: f32,
    /// Width of the height histogram bins used to find support planes.
    pub plane_bin_m: f32,
    /// Share of valid pixels a height bin needs to count as a support plane.
    pub plane_min_share: f32,
    /// Points closer than this above a plane belong to the plane.
    pub min_height_m: f32,
    /// Points higher than this above their plane are not tabletop objects (walls, the arm).
    pub max_height_m: f32,
    /// Depth difference between neighbouring pixels that separates two segments.
    pub depth_jump_m: f32,
    /// Smallest segment, as a share of the image's pixels.
    pub min_area_share: f32,
    /// Largest horizontal or vertical extent of a segment that is still an object.
    pub max_extent_m: f32,
}

impl Default for ProposalSettings {
    fn default() -> Self {
        Self {
            horizontal_normal_min_z: 0.95,
            plane_bin_m: 0.005,
            plane_min_share: 0.03,
            min_height_m: 0.008,
            max_height_m: 0.45,
            depth_jump_m: 0.02,
            min_area_share: 0.0004,
            max_extent_m: 0.4,
        }
    }
}

/// One segmented object candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    /// Row-major indices of the segment's pixels.
    pub pixels: Vec<usize>,
    /// `[u_min, v_min, u_max, v_max]`, inclusive.
    pub bbox: [u32; 4],
    /// Mean of the segment's world points.
    pub centroid: Vec3,
    /// Highest world Z of the segment.
    pub top_z: f32,
    /// Height of the support plane under the segment.
    pub support_z: f32,
}

/// Segments the observation's depth image into object proposals, ordered by first pixel.
pub fn propose(observation: &Observation, settings: &ProposalSettings) -> Vec<Proposal> {
    let depth = observation.depth;
    let (width, height) = (depth.width as usize, depth.height as usize);
    let points = lift_points(observation);
    let valid_count = points.iter().filter(|p| p.is_some()).count();
    if valid_count == 0 {
        return Vec::new();
    }

    let planes = support_planes(&points, width, height, valid_count, settings);
    let plane_below = |z: f32| -> Option<f32> {
        planes
            .iter()
            .copied()
            .filter(|&plane| plane <= z + settings.min_height_m)
            .reduce(f32::max)
    };

    let mut support = vec![f32::NAN; width * height];
    let mut foreground = vec![false; width * height];
    for (index, point) in points.iter().enumerate() {
        let Some(point) = point else { continue };
        let Some(plane) = plane_below(point.z) else {
            continue;
        };
        let above = point.z - plane;
        if above > settings.min_height_m && above < settings.max_height_m {
            foreground[index] = true;
            support[index] = plane;
        }
    }

    let min_pixels = ((settings.min_area_share * (width * height) as f32).ceil() as usize).max(1);
    let mut labels = vec![usize::MAX; width * height];
    let mut proposals = Vec::new();
    for seed in 0..width * height {
        if !foreground[seed] || labels[seed] != usize::MAX {
            continue;
        }
        let segment = grow_segment(seed, proposals.len(), &foreground, &mut labels, depth, settings);
        if segment.len() < min_pixels {
            continue;
        }
        if let Some(proposal) = summarise(segment, &points, &support, width, settings) {
            proposals.push(proposal);
        }
    }
    proposals
}

fn lift_points(observation: &Observation) -> Vec<Option<Vec3>> {
    let depth = observation.depth;
    let mut points = Vec::with_capacity(depth.data.len());
    for v in 0..depth.height {
        for u in 0..depth.width {
            let index = (v * depth.width + u) as usize;
            let d = depth.data[index];
            let masked = observation.robot_mask.get(index).copied().unwrap_or(false);
            points.push((d.is_finite() && d > 0.0 && !masked).then(|| observation.camera.unproject(u, v, d)));
        }
    }
    points
}

/// Heights of horizontal planes that cover enough of the image, lowest first.
fn support_planes(
    points: &[Option<Vec3>],
    width: usize,
    height: usize,
    valid_count: usize,
    settings: &ProposalSettings,
) -> Vec<f32> {
    let mut heights = Vec::new();
    for v in 0..height.saturating_sub(1) {
        for u in 0..width.saturating_sub(1) {
            let index = v * width + u;
            let (Some(p), Some(right), Some(down)) = (points[index], points[index + 1], points[index + width]) else {
                continue;
            };
            let normal = (right - p).cross(down - p).normalize_or_zero();
            if normal.z.abs() >= settings.horizontal_normal_min_z {
                heights.push(p.z);
            }
        }
    }
    if heights.is_empty() {
        return Vec::new();
    }

    let min_z = heights.iter().copied().fold(f32::INFINITY, f32::min);
    let max_z = heights.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let bins = (((max_z - min_z) / settings.plane_bin_m) as usize) + 1;
    let mut histogram = vec![(0usize, 0.0f64); bins];
    for z in &heights {
        let bin = (((z - min_z) / settings.plane_bin_m) as usize).min(bins - 1);
        histogram[bin].0 += 1;
        histogram[bin].1 += f64::from(*z);
    }

    // Adjacent bins above the threshold form one plane, so a plane split across a bin edge
    // counts once.
    let threshold = (settings.plane_min_share * valid_count as f32).ceil() as usize;
    let mut planes = Vec::new();
    let mut run: Option<(usize, f64)> = None;
    for &(count, sum) in &histogram {
        if count >= threshold.max(1) {
            let (run_count, run_sum) = run.unwrap_or((0, 0.0));
            run = Some((run_count + count, run_sum + sum));
        } else if let Some((run_count, run_sum)) = run.take() {
            planes.push((run_sum / run_count as f64) as f32);
        }
    }
    if let Some((run_count, run_sum)) = run {
        planes.push((run_sum / run_count as f64) as f32);
    }
    planes
}

/// Flood fill from `seed` over foreground pixels whose depth differs by less than the jump.
fn grow_segment(
    seed: usize,
    label: usize,
    foreground: &[bool],
    labels: &mut [usize],
    depth: &crate::observe::DepthImage,
    settings: &ProposalSettings,
) -> Vec<usize> {
    let width = depth.width as usize;
    let height = depth.height as usize;
    let mut segment = Vec::new();
    let mut stack = vec![seed];
    labels[seed] = label;
    while let Some(index) = stack.pop() {
        segment.push(index);
        let (u, v) = (index % width, index / width);
        let neighbours = [
            (u > 0).then(|| index - 1),
            (u + 1 < width).then(|| index + 1),
            (v > 0).then(|| index - width),
            (v + 1 < height).then(|| index + width),
        ];
        for next in neighbours.into_iter().flatten() {
            if foreground[next]
                && labels[next] == usize::MAX
                && (depth.data[next] - depth.data[index]).abs() < settings.depth_jump_m
            {
                labels[next] = label;
                stack.push(next);
            }
        }
    }
    segment.sort_unstable();
    segment
}

fn summarise(
    pixels: Vec<usize>,
    points: &[Option<Vec3>],
    support: &[f32],
    width: usize,
    settings: &ProposalSettings,
) -> Option<Proposal> {
    let mut bbox = [u32::MAX, u32::MAX, 0, 0];
    let mut sum = Vec3::ZERO;
    let mut lower = Vec3::splat(f32::INFINITY);
    let mut upper = Vec3::splat(f32::NEG_INFINITY);
    let mut support_sum = 0.0;
    for &index in &pixels {
        let point = points[index]?;
        let (u, v) = ((index % width) as u32, (index / width) as u32);
        bbox = [bbox[0].min(u), bbox[1].min(v), bbox[2].max(u), bbox[3].max(v)];
        sum += point;
        lower = lower.min(point);
        upper = upper.max(point);
        support_sum += support[index];
    }
    let extent = upper - lower;
    if extent.max_element() > settings.max_extent_m {
        return None;
    }
    let count = pixels.len() as f32;
    Some(Proposal {
        bbox,
        centroid: sum / count,
        top_z: upper.z,
        support_z: support_sum / count,
        pixels,
    })
}
