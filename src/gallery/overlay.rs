//! One frame with what perception saw and decided drawn on it: the tracking heat map, every
//! candidate box and the heat map's peak on the enlarged frame, and a caption strip below it.

use image::{imageops, Rgb, RgbImage};
use tracing::debug;

use super::caption::{caption_height, caption_lines, draw_caption};
use super::draw::{blend_rect, crosshair, outline_rect, upscale, PixelRect};
use super::palette::{
    heat_colour, CAPTION_BACKGROUND, HEAT_ALPHA, MARKER_COLOUR, MARKER_OUTLINE, OTHER_COLOUR, TARGET_COLOUR,
    TEXT_COLOUR,
};
use super::text::{draw_label, label_rect};
use crate::episode::grade::Outcome;
use crate::episode::record::{DecisionRecord, EvidenceRow, ScoredCandidate};
use crate::episode::RecordedFrame;
use crate::perception::track::HeatMap;

/// Width the enlarged frame should reach at least, so that 224-pixel frames become 672 wide and
/// labels in [`LABEL_FONT_PX`] stay readable next to the objects.
pub const MIN_OVERLAY_WIDTH_PX: u32 = 640;
/// Largest enlargement factor, for very small frames.
pub const MAX_SCALE: u32 = 4;
/// Outline width of the chosen candidate's box, in overlay pixels.
pub const CHOSEN_BOX_PX: u32 = 4;
/// Outline width of the other candidates' boxes, in overlay pixels.
pub const OTHER_BOX_PX: u32 = 2;
/// Font size of box labels, in pixels.
pub const LABEL_FONT_PX: u32 = 13;
/// Space between a box label's text and its background edge.
const LABEL_PAD_PX: u32 = 2;
/// Distance from the centre of the match marker to each tip, and the width of its lines.
const MARKER_ARM_PX: i64 = 9;
const MARKER_LINE_PX: i64 = 3;
/// Outline width of the heat map's best cell.
const PEAK_CELL_PX: u32 = 2;

/// Episode facts that [`overlay`] draws besides the frame: instruction, target, decision and
/// outcome.
#[derive(Debug, Clone, Copy)]
pub struct OverlayContext<'a> {
    /// Id of the instructed object; boxes over it are drawn in [`TARGET_COLOUR`].
    pub target: &'a str,
    pub instruction: &'a str,
    /// The episode's first decision, summarised in the caption of frames without candidates.
    pub decision: Option<&'a DecisionRecord>,
    /// The episode's outcome, shown in the caption of every frame.
    pub outcome: Option<&'a Outcome>,
}

impl<'a> OverlayContext<'a> {
    /// Takes the target, instruction, decision and outcome from an episode's evidence row.
    pub fn from_row(row: &'a EvidenceRow) -> Self {
        Self {
            target: &row.target,
            instruction: &row.instruction,
            decision: row.decision.as_ref(),
            outcome: Some(&row.outcome),
        }
    }
}

/// Draws what perception saw and decided on one frame.
///
/// The frame is enlarged by [`overlay_scale`]. On it go the heat map (cells with a score
/// only) with its best cell outlined and a cross on the tracker's match, and every candidate
/// box with its true object and score (the chosen one thicker). Below it a caption strip gives time, phase, confidence,
/// the selection, events, the instruction and the outcome.
pub fn overlay(frame: &RecordedFrame, context: &OverlayContext) -> RgbImage {
    let scale = overlay_scale(frame.rgb.width());
    let mut image = upscale(&frame.rgb, scale);
    if let Some(heat) = &frame.heat {
        draw_heat(&mut image, heat, scale);
    }
    draw_candidates(&mut image, &frame.candidates, frame.chosen, context.target, scale);
    if let Some(heat) = &frame.heat {
        draw_match(&mut image, heat, scale);
    }

    let lines = caption_lines(frame, context);
    let mut canvas = RgbImage::from_pixel(image.width(), image.height() + caption_height(lines.len()), CAPTION_BACKGROUND);
    imageops::replace(&mut canvas, &image, 0, 0);
    draw_caption(&mut canvas, image.height(), &lines, frame.heat.is_some());
    canvas
}

/// Enlargement factor for a frame `width` pixels wide: the smallest integer that makes it at
/// least [`MIN_OVERLAY_WIDTH_PX`] wide, at most [`MAX_SCALE`].
pub fn overlay_scale(width: u32) -> u32 {
    MIN_OVERLAY_WIDTH_PX.div_ceil(width.max(1)).clamp(1, MAX_SCALE)
}

/// Tints every cell that has a score with its heat map colour. Cells without a score (outside
/// the search window or on the robot) keep the frame's pixels.
fn draw_heat(image: &mut RgbImage, heat: &HeatMap, scale: u32) {
    for (cell, score) in heat.scores.iter().enumerate() {
        let Some(score) = score else { continue };
        let rect = cell_rect(heat, cell, scale);
        blend_rect(image, rect, heat_colour(*score), HEAT_ALPHA);
    }
}

/// Overlay pixels of heat map `cell`. Neighbouring cells share no pixel and leave no gap.
fn cell_rect(heat: &HeatMap, cell: usize, scale: u32) -> PixelRect {
    let (row, col) = (cell / heat.cols, cell % heat.cols);
    let edge = |index: usize, cell_px: f32| (index as f64 * cell_px as f64 * scale as f64).round() as i64;
    PixelRect {
        x0: edge(col, heat.cell_px[0]),
        y0: edge(row, heat.cell_px[1]),
        x1: edge(col + 1, heat.cell_px[0]) - 1,
        y1: edge(row + 1, heat.cell_px[1]) - 1,
    }
}

/// Index of the cell with the highest score, if any cell has one.
pub fn heat_peak(heat: &HeatMap) -> Option<(usize, f32)> {
    heat.scores
        .iter()
        .enumerate()
        .filter_map(|(cell, score)| score.map(|s| (cell, s)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Outlines the heat map's best cell, the peak that the tracker grows its matched region
/// from, and puts a cross on the region's centroid when the step kept an estimate.
fn draw_match(image: &mut RgbImage, heat: &HeatMap, scale: u32) {
    if let Some((cell, _)) = heat_peak(heat) {
        outline_rect(image, cell_rect(heat, cell, scale), PEAK_CELL_PX, MARKER_COLOUR);
    }
    if let Some([u, v]) = heat.matched_pixel {
        let centre = ((u * scale as f32).round() as i64, (v * scale as f32).round() as i64);
        crosshair(image, centre, MARKER_ARM_PX, MARKER_LINE_PX, MARKER_COLOUR, MARKER_OUTLINE);
    }
}

/// Overlay pixels of an inclusive frame bounding box `[u_min, v_min, u_max, v_max]`.
pub fn box_rect(bbox: [u32; 4], scale: u32) -> PixelRect {
    let [u_min, v_min, u_max, v_max] = bbox.map(|c| c as i64);
    let s = scale as i64;
    PixelRect {
        x0: u_min * s,
        y0: v_min * s,
        x1: (u_max + 1) * s - 1,
        y1: (v_max + 1) * s - 1,
    }
}

/// Colour of a candidate's box: [`TARGET_COLOUR`] when it covers the target, else [`OTHER_COLOUR`].
pub fn candidate_colour(candidate: &ScoredCandidate, target: &str) -> Rgb<u8> {
    if candidate.object.as_deref() == Some(target) { TARGET_COLOUR } else { OTHER_COLOUR }
}

/// Text of a candidate's label: the true object under the box and the candidate's score.
pub fn candidate_label(candidate: &ScoredCandidate, chosen: bool) -> String {
    let object = candidate.object.as_deref().unwrap_or("no object");
    let prefix = if chosen { "chosen: " } else { "" };
    format!("{prefix}{object} {:.2}", candidate.candidate.score)
}

/// Draws every candidate that has a box: outlines first (the chosen one last and thickest),
/// then labels, so that no outline crosses a label.
fn draw_candidates(image: &mut RgbImage, candidates: &[ScoredCandidate], chosen: Option<usize>, target: &str, scale: u32) {
    let mut order: Vec<usize> = (0..candidates.len()).filter(|&i| Some(i) != chosen).collect();
    order.extend(chosen.filter(|&i| i < candidates.len()));
    let mut placed = Vec::new();
    for index in order {
        let candidate = &candidates[index];
        let Some(bbox) = candidate.candidate.bbox else { continue };
        let rect = box_rect(bbox, scale);
        if rect.clip(image.width(), image.height()).is_none() {
            debug!(label = %candidate.candidate.label, ?bbox, "candidate box lies outside the frame");
            continue;
        }
        let is_chosen = Some(index) == chosen;
        let thickness = if is_chosen { CHOSEN_BOX_PX } else { OTHER_BOX_PX };
        outline_rect(image, rect, thickness, candidate_colour(candidate, target));
        placed.push((index, rect, is_chosen));
    }
    for (index, rect, is_chosen) in placed {
        let candidate = &candidates[index];
        let colour = candidate_colour(candidate, target);
        // The chosen label is filled with the box colour, the others are box-coloured text.
        let colours = if is_chosen { (TEXT_COLOUR, colour) } else { (colour, CAPTION_BACKGROUND) };
        let text = candidate_label(candidate, is_chosen);
        let position = label_position(image, &text, rect);
        draw_label(image, &text, position, LABEL_FONT_PX, LABEL_PAD_PX, colours);
    }
}

/// Puts a label on the box's top edge, above it when there is room and inside it otherwise,
/// and shifted left when it would run past the right edge of the image.
fn label_position(image: &RgbImage, text: &str, rect: PixelRect) -> (i64, i64) {
    let size = label_rect(text, (0, 0), LABEL_FONT_PX, LABEL_PAD_PX);
    let (width, height) = (size.x1 + 1, size.y1 + 1);
    let x = rect.x0.min(image.width() as i64 - width).max(0);
    let above = rect.y0 - height;
    let y = if above >= 0 { above } else { rect.y0.max(0) };
    (x, y.min(image.height() as i64 - height).max(0))
}
