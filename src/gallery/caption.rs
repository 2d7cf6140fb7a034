//! The caption strip under an overlay: time, phase, confidence, the selection, perception
//! events, the instruction and the outcome, one row each, with a heat map legend.

use image::{Rgb, RgbImage};

use super::draw::{fill_rect, PixelRect};
use super::overlay::{heat_peak, OverlayContext};
use super::palette::{heat_colour, HEAT_SCORE_MAX, HEAT_SCORE_MIN, LOST_TEXT_COLOUR, TEXT_COLOUR};
use super::text::{draw_text, fit_text, line_height, text_width};
use crate::act::controller::Phase;
use crate::episode::RecordedFrame;
use crate::perception::{EventKind, PerceptionEvent};

/// Font size of caption rows, in pixels.
pub const CAPTION_FONT_PX: u32 = 15;
/// Space around the caption rows, in pixels.
const CAPTION_PAD_PX: u32 = 6;
/// Width of the heat map legend's colour bar, in pixels.
const LEGEND_BAR_PX: u32 = 90;
/// Gap between the legend's bar and its labels.
const LEGEND_GAP_PX: u32 = 4;

/// One caption row.
#[derive(Debug, Clone, PartialEq)]
pub struct CaptionLine {
    pub text: String,
    pub colour: Rgb<u8>,
}

impl CaptionLine {
    fn plain(text: String) -> Self {
        Self { text, colour: TEXT_COLOUR }
    }
}

/// Height of a caption strip with `lines` rows, in pixels.
pub fn caption_height(lines: usize) -> u32 {
    lines as u32 * line_height(CAPTION_FONT_PX) + 2 * CAPTION_PAD_PX
}

/// Builds the caption rows of `frame`, top to bottom.
pub fn caption_lines(frame: &RecordedFrame, context: &OverlayContext) -> Vec<CaptionLine> {
    let mut lines = vec![
        CaptionLine::plain(status_text(frame)),
        CaptionLine::plain(selection_text(frame, context)),
        events_line(&frame.events),
        CaptionLine::plain(format!("instruction \"{}\" | target {}", context.instruction, context.target)),
    ];
    if let Some(outcome) = context.outcome {
        let text = match outcome.failure {
            Some(kind) => format!("outcome: {} at {:.2} s: {}", kind.as_str(), outcome.time_s, outcome.detail),
            None => format!("outcome: success at {:.2} s: {}", outcome.time_s, outcome.detail),
        };
        lines.push(CaptionLine::plain(text));
    }
    lines
}

/// Time, controller phase, confidence and, on tracking steps, the best match score.
fn status_text(frame: &RecordedFrame) -> String {
    let mut text = format!(
        "t {:.2} s | step {} | phase {} | confidence {:.2}",
        frame.time_s,
        frame.step,
        phase_name(frame.phase),
        frame.confidence
    );
    if let Some((_, peak)) = frame.heat.as_ref().and_then(heat_peak) {
        text.push_str(&format!(" | best match {peak:.2}"));
    }
    text
}

/// Returns the phase's name as evidence rows spell it, e.g. `pre_grasp`.
fn phase_name(phase: Phase) -> String {
    match serde_json::to_value(phase) {
        Ok(serde_json::Value::String(name)) => name,
        // Phase serialises as a unit variant, so this arm only runs if its serde form changes.
        _ => format!("{phase:?}"),
    }
}

/// Describes what perception chose at this frame, or the choice it is following.
fn selection_text(frame: &RecordedFrame, context: &OverlayContext) -> String {
    if !frame.candidates.is_empty() {
        let count = frame.candidates.len();
        return match frame.chosen.and_then(|i| frame.candidates.get(i).map(|c| (i, c))) {
            Some((_, chosen)) => format!(
                "selection: {count} candidates, chose {} ({}, score {:.2})",
                chosen.candidate.label,
                target_verdict(chosen.object.as_deref(), context.target),
                chosen.candidate.score
            ),
            None => format!("selection: {count} candidates, none chosen"),
        };
    }
    let decision = context.decision.filter(|d| d.step <= frame.step);
    let chosen = decision.and_then(|d| d.chosen.and_then(|i| d.candidates.get(i)).map(|c| (d, c)));
    match chosen {
        Some((decision, candidate)) => format!(
            "following the choice made at {:.2} s: {} ({}, score {:.2})",
            decision.time_s,
            candidate.candidate.label,
            target_verdict(candidate.object.as_deref(), context.target),
            candidate.candidate.score
        ),
        None => "no candidate chosen yet".to_owned(),
    }
}

fn target_verdict(object: Option<&str>, target: &str) -> String {
    match object {
        Some(object) if object == target => format!("{object}, the target"),
        Some(object) => format!("{object}, not the target"),
        None => "no object, not the target".to_owned(),
    }
}

/// Perception events of the frame; drawn in [`LOST_TEXT_COLOUR`] when the target was lost.
fn events_line(events: &[PerceptionEvent]) -> CaptionLine {
    if events.is_empty() {
        return CaptionLine::plain("events: none".to_owned());
    }
    let described: Vec<String> = events
        .iter()
        .map(|event| {
            let kind = match event.kind {
                EventKind::Select => "selected",
                EventKind::Lost => "lost",
            };
            format!("{kind}: {}", event.reason)
        })
        .collect();
    let lost = events.iter().any(|e| e.kind == EventKind::Lost);
    CaptionLine {
        text: format!("events: {}", described.join("; ")),
        colour: if lost { LOST_TEXT_COLOUR } else { TEXT_COLOUR },
    }
}

/// Draws the caption rows into the strip that starts at row `top` of `canvas`, cutting rows
/// that are too wide. With `legend`, the first row ends with the heat map's colour scale.
pub fn draw_caption(canvas: &mut RgbImage, top: u32, lines: &[CaptionLine], legend: bool) {
    let row_height = line_height(CAPTION_FONT_PX) as i64;
    let left = CAPTION_PAD_PX as i64;
    let full_width = canvas.width().saturating_sub(2 * CAPTION_PAD_PX);
    for (row, line) in lines.iter().enumerate() {
        let y = top as i64 + CAPTION_PAD_PX as i64 + row as i64 * row_height;
        let mut width = full_width;
        if row == 0 && legend {
            width = width.saturating_sub(draw_legend(canvas, y) + CAPTION_PAD_PX);
        }
        let text = fit_text(&line.text, CAPTION_FONT_PX, width);
        draw_text(canvas, &text, (left, y), CAPTION_FONT_PX, line.colour);
    }
}

/// Draws `min [colour bar] max` right-aligned in the row at `y`; returns its width.
fn draw_legend(canvas: &mut RgbImage, y: i64) -> u32 {
    let low = format!("{HEAT_SCORE_MIN:.0}");
    let high = format!("{HEAT_SCORE_MAX:.0}");
    let (low_width, high_width) = (text_width(&low, CAPTION_FONT_PX), text_width(&high, CAPTION_FONT_PX));
    let total = low_width + high_width + LEGEND_BAR_PX + 2 * LEGEND_GAP_PX;
    let right = canvas.width().saturating_sub(CAPTION_PAD_PX) as i64;
    let x = right - total as i64;
    draw_text(canvas, &low, (x, y), CAPTION_FONT_PX, TEXT_COLOUR);
    let bar_x = x + (low_width + LEGEND_GAP_PX) as i64;
    let bar_height = line_height(CAPTION_FONT_PX) as i64;
    for i in 0..LEGEND_BAR_PX as i64 {
        let share = i as f32 / (LEGEND_BAR_PX - 1) as f32;
        let score = HEAT_SCORE_MIN + share * (HEAT_SCORE_MAX - HEAT_SCORE_MIN);
        let column = PixelRect { x0: bar_x + i, y0: y + 3, x1: bar_x + i, y1: y + bar_height - 4 };
        fill_rect(canvas, column, heat_colour(score));
    }
    let high_x = bar_x + (LEGEND_BAR_PX + LEGEND_GAP_PX) as i64;
    draw_text(canvas, &high, (high_x, y), CAPTION_FONT_PX, TEXT_COLOUR);
    total
}
