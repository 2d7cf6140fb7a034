//! Overlays, frame choice and GIF output on synthetic frames with known boxes and scores.

use std::io::BufReader;
use std::path::PathBuf;

use bevy::math::Vec3;
use image::codecs::gif::GifDecoder;
use image::{AnimationDecoder, Rgb, RgbImage};

use super::caption::{caption_lines, CAPTION_FONT_PX};
use super::overlay::{CHOSEN_BOX_PX, OTHER_BOX_PX};
use super::palette::{blend, heat_colour, CAPTION_BACKGROUND, HEAT_ALPHA, OTHER_COLOUR, TARGET_COLOUR};
use super::*;
use crate::act::controller::Phase;
use crate::episode::grade::{FailureKind, Outcome};
use crate::episode::record::{
    CameraView, DecisionRecord, PerceptionRef, RatesRecord, SceneRef, ScoredCandidate,
};
use crate::observe::Intrinsics;
use crate::perception::track::HeatMap;
use crate::perception::{Candidate, EventKind, PerceptionEvent};

const SIZE: u32 = 224;
const SCALE: u32 = 3;
const FLOOR: Rgb<u8> = Rgb([90, 90, 90]);
const TARGET: &str = "red_mug";
const INSTRUCTION: &str = "pick up the red mug";

fn candidate(label: &str, object: Option<&str>, bbox: [u32; 4]) -> ScoredCandidate {
    ScoredCandidate {
        candidate: Candidate {
            label: label.to_owned(),
            score: 0.25,
            position: Vec3::ZERO,
            bbox: Some(bbox),
        },
        object: object.map(str::to_owned),
    }
}

fn frame(step: u64) -> RecordedFrame {
    RecordedFrame {
        step,
        time_s: step as f32 / 240.0,
        rgb: RgbImage::from_pixel(SIZE, SIZE, FLOOR),
        candidates: Vec::new(),
        chosen: None,
        heat: None,
        confidence: 0.0,
        events: Vec::new(),
        phase: Phase::Approach,
    }
}

/// Builds a frame with a box over the target at the left and one over another object at the
/// right.
fn selection_frame(chosen: usize) -> RecordedFrame {
    RecordedFrame {
        candidates: vec![
            candidate("proposal 0", Some(TARGET), [40, 80, 90, 140]),
            candidate("proposal 1", Some("red_can"), [130, 80, 180, 140]),
        ],
        chosen: Some(chosen),
        confidence: 1.0,
        ..frame(60)
    }
}

fn context() -> OverlayContext<'static> {
    OverlayContext {
        target: TARGET,
        instruction: INSTRUCTION,
        decision: None,
        outcome: None,
    }
}

fn row(decision_step: Option<u64>) -> EvidenceRow {
    let intrinsics = Intrinsics { width: SIZE, height: SIZE, fx: 200.0, fy: 200.0, cx: 112.0, cy: 112.0 };
    EvidenceRow {
        pickloop_version: "test".to_owned(),
        scene: SceneRef { name: "synthetic".to_owned(), file: PathBuf::from("synthetic.ron"), sha256: String::new() },
        episode: 3,
        seed: 1003,
        perception: PerceptionRef { name: "random".to_owned(), privileged: false, config: serde_json::Value::Null },
        instruction: INSTRUCTION.to_owned(),
        target: TARGET.to_owned(),
        camera: CameraView { id: "front".to_owned(), intrinsics, pose_at_decision: None },
        decision: decision_step.map(|step| DecisionRecord {
            step,
            time_s: step as f32 / 240.0,
            candidates: selection_frame(1).candidates,
            chosen: Some(1),
            chosen_object: Some("red_can".to_owned()),
        }),
        perturbation: Vec::new(),
        actions: Vec::new(),
        confidence_timeline: Vec::new(),
        perception_events: Vec::new(),
        outcome: Outcome::failed(FailureKind::WrongObject, "lifted red_can instead of red_mug", 9.5),
        rates: RatesRecord { physics_hz: 240.0, control_hz: 60.0, perception_hz: 10.0 },
        sim_time_s: 9.5,
        wall_time_s: 4.0,
        sweep: None,
    }
}

/// Overlay pixel of the bottom edge of frame box `bbox`, `depth` pixels inside the box, at
/// the box's horizontal middle.
fn bottom_edge(bbox: [u32; 4], depth: u32) -> (u32, u32) {
    ((bbox[0] + bbox[2]) / 2 * SCALE, (bbox[3] + 1) * SCALE - 1 - depth)
}

#[test]
fn box_outline_takes_candidate_colour() {
    let frame = selection_frame(0);
    let image = overlay(&frame, &context());
    let (x, y) = bottom_edge([40, 80, 90, 140], 0);
    assert_eq!(*image.get_pixel(x, y), TARGET_COLOUR, "box over the target");
    let (x, y) = bottom_edge([130, 80, 180, 140], 0);
    assert_eq!(*image.get_pixel(x, y), OTHER_COLOUR, "box over another object");
    let (x, y) = bottom_edge([130, 80, 180, 140], 10);
    assert_eq!(*image.get_pixel(x, y), FLOOR, "inside of a box");
}

#[test]
fn chosen_box_is_thicker() {
    let depth = OTHER_BOX_PX;
    assert!(depth < CHOSEN_BOX_PX);
    for chosen in [0, 1] {
        let frame = selection_frame(chosen);
        let image = overlay(&frame, &context());
        let boxes: Vec<[u32; 4]> = frame.candidates.iter().map(|c| c.candidate.bbox.unwrap()).collect();
        let (x, y) = bottom_edge(boxes[chosen], depth);
        assert_ne!(*image.get_pixel(x, y), FLOOR, "chosen box {chosen} is {CHOSEN_BOX_PX} px wide");
        let (x, y) = bottom_edge(boxes[1 - chosen], depth);
        assert_eq!(*image.get_pixel(x, y), FLOOR, "other box {} is {OTHER_BOX_PX} px wide", 1 - chosen);
    }
}

#[test]
fn boxes_at_border_are_clipped() {
    let mut frame = selection_frame(0);
    frame.candidates = vec![
        candidate("whole frame", Some(TARGET), [0, 0, SIZE - 1, SIZE - 1]),
        candidate("past the corner", None, [200, 210, 400, 400]),
        candidate("off the frame", None, [300, 300, 310, 310]),
    ];
    let image = overlay(&frame, &context());
    let bottom = SIZE * SCALE - 1;
    assert_eq!(*image.get_pixel(bottom / 2, bottom), TARGET_COLOUR, "bottom edge of the whole-frame box");
    assert_eq!(*image.get_pixel(200 * SCALE, 220 * SCALE), OTHER_COLOUR, "left edge of the clipped box");
}

#[test]
fn heat_tints_scored_cells_only() {
    let mut frame = frame(120);
    let mut scores = vec![None; 16 * 16];
    scores[0] = Some(0.9);
    scores[2] = Some(0.2);
    let matched_pixel = Some([100.0, 150.0]);
    frame.heat = Some(HeatMap { rows: 16, cols: 16, cell_px: [14.0, 14.0], scores, matched_pixel });
    let image = overlay(&frame, &context());
    let cell = 14 * SCALE;
    let white = Rgb([255, 255, 255]);
    assert_eq!(*image.get_pixel(5, 5), blend(FLOOR, heat_colour(0.9), HEAT_ALPHA), "scored cell 0");
    assert_eq!(*image.get_pixel(cell + 5, 5), FLOOR, "cell 1 has no score");
    assert_eq!(*image.get_pixel(2 * cell + 5, cell - 5), blend(FLOOR, heat_colour(0.2), HEAT_ALPHA), "scored cell 2");
    assert_eq!(*image.get_pixel(5, cell + 5), FLOOR, "cell 16 has no score");
    assert_eq!(*image.get_pixel(cell / 2, 0), white, "outline of the best cell");
    assert_eq!(*image.get_pixel(cell / 2, cell - 1), white, "outline of the best cell");
    assert_eq!(*image.get_pixel(100 * SCALE, 150 * SCALE), white, "cross on the matched pixel");
    assert_eq!(*image.get_pixel(100 * SCALE + 4, 150 * SCALE + 4), FLOOR, "between the arms of the cross");
}

#[test]
fn lost_step_has_no_cross() {
    let mut frame = frame(120);
    let mut scores = vec![None; 4 * 4];
    scores[5] = Some(0.3);
    frame.heat = Some(HeatMap { rows: 4, cols: 4, cell_px: [56.0, 56.0], scores, matched_pixel: None });
    let image = overlay(&frame, &context());
    let centre = (56 + 28) * SCALE;
    assert_eq!(*image.get_pixel(centre, centre), blend(FLOOR, heat_colour(0.3), HEAT_ALPHA), "no cross on the cell");
    assert_eq!(*image.get_pixel(centre, 56 * SCALE), Rgb([255, 255, 255]), "outline of the best cell");
}

#[test]
fn empty_frame_keeps_pixels_and_adds_caption() {
    let frame = frame(0);
    let image = overlay(&frame, &context());
    let side = SIZE * SCALE;
    assert_eq!(image.width(), side);
    assert!(image.height() > side + 4 * CAPTION_FONT_PX, "caption strip of {} px", image.height() - side);
    assert!((0..side).all(|y| (0..side).all(|x| *image.get_pixel(x, y) == FLOOR)), "the frame is unchanged");
    let caption_text = (side..image.height())
        .flat_map(|y| (0..side).map(move |x| (x, y)))
        .filter(|&(x, y)| *image.get_pixel(x, y) != CAPTION_BACKGROUND)
        .count();
    assert!(caption_text > 500, "only {caption_text} caption pixels differ from the background");
}

#[test]
fn caption_names_phase_events_and_choice() {
    let mut frame = frame(300);
    frame.phase = Phase::PreGrasp;
    frame.confidence = 0.42;
    frame.events = vec![PerceptionEvent { kind: EventKind::Lost, reason: "low_confidence (confidence 0.412)".to_owned() }];
    let row = row(Some(60));
    let lines = caption_lines(&frame, &OverlayContext::from_row(&row));
    let text: Vec<&str> = lines.iter().map(|l| l.text.as_str()).collect();
    assert!(text[0].contains("t 1.25 s"), "{text:?}");
    assert!(text[0].contains("phase pre_grasp"), "{text:?}");
    assert!(text[0].contains("confidence 0.42"), "{text:?}");
    assert!(text[1].contains("red_can, not the target"), "{text:?}");
    assert!(text[2].contains("lost: low_confidence"), "{text:?}");
    assert!(text[3].contains(INSTRUCTION), "{text:?}");
    assert!(text[4].contains("wrong_object"), "{text:?}");
    let before = caption_lines(&self::frame(30), &OverlayContext::from_row(&row));
    assert_eq!(before[1].text, "no candidate chosen yet");
}

#[test]
fn decision_frame_matches_step() {
    let frames: Vec<RecordedFrame> = vec![frame(0), selection_frame(0), frame(84), frame(108)];
    assert_eq!(decision_frame_index(&frames, &row(Some(84))), 2);
    assert_eq!(decision_frame_index(&frames, &row(Some(999))), 1, "missing step: first frame with candidates");
    assert_eq!(decision_frame_index(&frames, &row(None)), 1, "no decision: first frame with candidates");
    assert_eq!(decision_frame_index(&[frame(0), frame(24)], &row(None)), 0, "no candidates: first frame");
}

#[test]
fn subsampling_keeps_first_decision_last() {
    assert_eq!(gif_frame_indices(5, 2, 10), vec![0, 1, 2, 3, 4]);
    for keep in [0, 1, 37, 100, 198, 199] {
        let indices = gif_frame_indices(200, keep, 120);
        assert_eq!(indices.len(), 120, "keep {keep}");
        assert_eq!(indices[0], 0);
        assert_eq!(*indices.last().unwrap(), 199);
        assert!(indices.contains(&keep), "keep {keep}");
        assert!(indices.windows(2).all(|w| w[0] < w[1]), "keep {keep}: {indices:?}");
    }
    let indices = gif_frame_indices(1000, 500, 3);
    assert_eq!(indices, vec![0, 500, 999]);
}

#[test]
fn gif_delays_follow_frame_times() {
    let frames: Vec<RecordedFrame> = [0, 24, 48, 96, 96].map(frame).to_vec();
    assert_eq!(gif_delays_ms(&frames, &[0, 1, 2, 3, 4]), vec![100, 100, 200, 20, LAST_FRAME_HOLD_MS]);
    assert_eq!(gif_delays_ms(&frames, &[0, 3]), vec![400, LAST_FRAME_HOLD_MS]);
}

#[test]
fn gif_decodes_with_frames_and_delays() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("three.gif");
    let images: Vec<RgbImage> = [FLOOR, TARGET_COLOUR, OTHER_COLOUR].map(|c| RgbImage::from_pixel(40, 30, c)).to_vec();
    write_gif(&path, &images, &[100, 250, 2000]).unwrap();

    let bytes = std::fs::read(&path).unwrap();
    assert!(bytes.windows(11).any(|w| w == b"NETSCAPE2.0"), "no looping extension");
    let decoder = GifDecoder::new(BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    let frames = decoder.into_frames().collect_frames().unwrap();
    assert_eq!(frames.len(), 3);
    let delays: Vec<(u32, u32)> = frames.iter().map(|f| f.delay().numer_denom_ms()).collect();
    assert_eq!(delays, vec![(100, 1), (250, 1), (2000, 1)]);
    let middle = frames[1].buffer().get_pixel(20, 15);
    assert!(middle[1] > 150, "second frame is green, got {middle:?}");
    assert!(middle[0] < 100, "second frame is green, got {middle:?}");
}

#[test]
fn write_gif_rejects_mixed_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let images = vec![RgbImage::new(10, 10), RgbImage::new(10, 12)];
    let error = write_gif(&dir.path().join("mixed.gif"), &images, &[100, 100]).unwrap_err();
    assert!(error.to_string().contains("one size"), "{error}");
}

#[test]
fn write_episode_writes_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gallery").join("ep3");
    let frames: Vec<RecordedFrame> = vec![frame(60), selection_frame(1), frame(108), frame(132)];
    let files = write_episode(&out, &frames, &row(Some(84))).unwrap();
    for path in [&files.first, &files.decision, &files.last] {
        let image = image::open(path).unwrap().to_rgb8();
        assert_eq!(image.width(), SIZE * SCALE, "{}", path.display());
    }
    let decoder = GifDecoder::new(BufReader::new(std::fs::File::open(&files.gif).unwrap())).unwrap();
    assert_eq!(decoder.into_frames().collect_frames().unwrap().len(), 4);
}

#[test]
fn write_episode_rejects_no_frames() {
    let dir = tempfile::tempdir().unwrap();
    let error = write_episode(dir.path(), &[], &row(None)).unwrap_err();
    assert!(error.to_string().contains("record_frames"), "{error}");
}

#[test]
fn gif_stores_only_changed_region() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("changed.gif");
    let first = RgbImage::from_fn(60, 40, |x, y| Rgb([(x * 4) as u8, (y * 6) as u8, 90]));
    let mut second = first.clone();
    for (x, y) in [(10, 5), (20, 12), (15, 30)] {
        second.put_pixel(x, y, TARGET_COLOUR);
    }
    let third = second.clone();
    write_gif(&path, &[first.clone(), second.clone(), third], &[100, 100, 100]).unwrap();

    let mut options = gif::DecodeOptions::new();
    options.set_color_output(gif::ColorOutput::Indexed);
    let mut decoder = options.read_info(std::fs::File::open(&path).unwrap()).unwrap();
    let mut regions = Vec::new();
    while let Some(frame) = decoder.read_next_frame().unwrap() {
        regions.push((frame.left, frame.top, frame.width, frame.height));
    }
    assert_eq!(regions, vec![(0, 0, 60, 40), (10, 5, 11, 26), (0, 0, 1, 1)]);

    let decoder = GifDecoder::new(BufReader::new(std::fs::File::open(&path).unwrap())).unwrap();
    let frames = decoder.into_frames().collect_frames().unwrap();
    let composed = frames[2].buffer();
    assert_eq!(composed.get_pixel(20, 12).0, [40, 200, 90, 255], "changed pixel");
    let kept = composed.get_pixel(12, 20).0;
    let source = first.get_pixel(12, 20).0;
    for channel in 0..3 {
        let difference = kept[channel].abs_diff(source[channel]);
        assert!(difference <= 12, "unchanged pixel {kept:?} strays from the source {source:?}");
    }
}
