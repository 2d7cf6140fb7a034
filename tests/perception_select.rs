//! Selection plumbing with a stand-in scorer keyed on colour words, so crops, batching, prompts
//! and ranking are tested apart from any weights. The text-embedding cache is tested too.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::Device;
use image::{Rgb, RgbImage};
use pickloop::act::arm::ArmModel;
use pickloop::episode::{CaptureRequest, EpisodeRun, EpisodeSpec, SceneSession};
use pickloop::observe::Frame;
use pickloop::observe::frame::{ROBOT_ID_BASE, object_instance_id};
use pickloop::perception::encoders::SiglipEncoder;
use pickloop::perception::proposals::{ProposalSettings, propose};
use pickloop::perception::select::{
    CropScorer, SiglipScorer, TextEmbeddingCache, fill_templates, object_phrase, select_by_crops, square_crop,
};
use pickloop::perception::language::{LossPolicy, Scoring, SelectTrack, exemplar_descriptor};
use pickloop::perception::track::{ColourPatches, TrackerSettings};
use pickloop::perception::{Observation, PerceptionConfig, SensorPerception};
use pickloop::scene::{Layout, load_scene};

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Scores a crop by how close its most saturated pixels are to the colour a prompt names.
#[derive(Default)]
struct ColourWordScorer {
    calls: Vec<(usize, Vec<String>)>,
}

fn named_colour(prompt: &str) -> [f32; 3] {
    if prompt.contains("red") {
        [1.0, 0.0, 0.0]
    } else if prompt.contains("blue") {
        [0.0, 0.0, 1.0]
    } else if prompt.contains("green") {
        [0.0, 1.0, 0.0]
    } else {
        panic!("the stand-in knows no colour in {prompt:?}")
    }
}

impl CropScorer for ColourWordScorer {
    fn score(&mut self, crops: &[RgbImage], prompts: &[String]) -> anyhow::Result<Vec<f32>> {
        self.calls.push((crops.len(), prompts.to_vec()));
        let expected = named_colour(&prompts[0]);
        Ok(crops
            .iter()
            .map(|crop| {
                let matching = crop
                    .pixels()
                    .filter(|p| {
                        let rgb = p.0.map(|c| f32::from(c) / 255.0);
                        let max = rgb.iter().copied().fold(0.0, f32::max);
                        let channel = expected.iter().position(|&w| w == 1.0).unwrap();
                        max > 0.2 && rgb[channel] == max && rgb.iter().filter(|&&c| c > 0.6 * max).count() == 1
                    })
                    .count();
                matching as f32 / (crop.width() * crop.height()) as f32
            })
            .collect())
    }

    fn record(&self) -> serde_json::Value {
        serde_json::json!({ "model": "colour words" })
    }
}

#[test]
fn object_phrase_strips_verb() {
    assert_eq!(object_phrase("pick up the red mug"), "red mug");
    assert_eq!(object_phrase("Grab a green bottle."), "green bottle");
    assert_eq!(object_phrase("blue mug"), "blue mug");
    assert_eq!(object_phrase("  take an apple!  "), "apple");
}

#[test]
fn object_phrase_keeps_letter_case() {
    assert_eq!(object_phrase("PICK UP THE RED MUG"), "RED MUG");
    assert_eq!(object_phrase("Pick Up The Red Mug."), "Red Mug");
    assert_eq!(object_phrase("could you hand me the rEd mUg"), "rEd mUg");
    assert_eq!(object_phrase("I need the red mug"), "red mug");
    assert_eq!(object_phrase("pickup the mug"), "pickup the mug");
    let prompts = fill_templates(&["{}".to_owned(), "a photo of {}".to_owned()], "red mug");
    assert_eq!(prompts, ["red mug", "a photo of red mug"]);
}

#[test]
fn square_crop_stays_inside() {
    let mut image = RgbImage::new(100, 60);
    image.put_pixel(95, 55, Rgb([255, 0, 0]));
    let crop = square_crop(&image, [90, 50, 99, 59]);
    assert_eq!(crop.dimensions(), (13, 13), "10 px box plus 15 % margin on each side");
    assert!(crop.pixels().any(|p| p.0 == [255, 0, 0]), "the crop shifts inside and keeps the object");
    let wide = square_crop(&image, [0, 0, 99, 10]);
    assert_eq!(wide.dimensions(), (100, 60), "a crop larger than the image is clamped to it");
}

/// Renders the first perception frame of `tabletop_mugs` at its own seed, with the scene's layout.
fn first_frame() -> (Frame, Layout, String) {
    let loaded = load_scene(&repo_path("scenes/tabletop_mugs.ron")).unwrap();
    let assets = repo_path("assets");
    let arm = ArmModel::load(assets.join(&loaded.scene.robot.urdf)).unwrap();
    let rates = loaded.scene.rates;
    let mut session = SceneSession::new(loaded, arm, rates, &assets).unwrap();
    let scene = session.loaded.scene.clone();
    let spec = EpisodeSpec {
        episode: 0,
        seed: scene.seed,
        perception: PerceptionConfig::named("oracle"),
        save_frames: None,
        frame_effects: Default::default(),
        record_frames: false,
    };
    let run = EpisodeRun::new(&scene, &session.arm, session.rates, spec).unwrap();
    let request = CaptureRequest {
        step: 0,
        time_s: 0.0,
        camera_id: scene.view.clone(),
        camera: run.view_camera(&scene),
        poses: run.body_poses(),
    };
    let frame = session.capture(&request).unwrap();
    (frame, Layout::sample(&scene, scene.seed), scene.instruction.clone())
}

fn robot_mask(frame: &Frame) -> Vec<bool> {
    frame.instances.data.iter().map(|&id| id >= ROBOT_ID_BASE).collect()
}

fn observation<'a>(frame: &'a Frame, mask: &'a [bool], instruction: &'a str) -> Observation<'a> {
    Observation {
        step: frame.step,
        time_s: frame.time_s,
        rgb: &frame.rgb,
        depth: &frame.depth,
        camera: &frame.camera,
        robot_mask: mask,
        instruction,
    }
}

/// Returns whether more than half of `pixels` show `object` in the instance image.
fn covers(frame: &Frame, layout: &Layout, pixels: &[usize], object: &str) -> bool {
    let index = layout.objects.iter().position(|o| o.id == object).unwrap();
    let id = object_instance_id(index);
    pixels.iter().filter(|&&i| frame.instances.data[i] == id).count() * 2 > pixels.len()
}

#[test]
fn stand_in_scorer_picks_red_mug() {
    let (frame, layout, instruction) = first_frame();
    let mask = robot_mask(&frame);
    let proposals = propose(&observation(&frame, &mask, &instruction), &ProposalSettings::default());
    assert!(proposals.len() >= 3, "{} proposals", proposals.len());

    for (instruction, object) in [("pick up the red mug", "red_mug"), ("pick up the blue mug", "blue_mug")] {
        let mut scorer = ColourWordScorer::default();
        let prompts = fill_templates(&["a photo of {}".to_owned()], &object_phrase(instruction));
        let selection = select_by_crops(&mut scorer, &frame.rgb, &proposals, &prompts).unwrap();
        assert_eq!(scorer.calls.len(), 1, "all crops go through one batched call");
        assert_eq!(scorer.calls[0].0, proposals.len());
        assert_eq!(scorer.calls[0].1, ["a photo of ".to_owned() + &object_phrase(instruction)]);
        assert_eq!(selection.candidates.len(), proposals.len());
        let chosen = selection.chosen.expect("a proposal is chosen");
        let scores: Vec<f32> = selection.candidates.iter().map(|c| c.score).collect();
        assert!(
            covers(&frame, &layout, &proposals[chosen].pixels, object),
            "{instruction:?} chose proposal {chosen}, scores {scores:?}"
        );
    }
}

#[test]
fn exemplar_selects_matching_proposal() {
    let (frame, layout, instruction) = first_frame();
    let mask = robot_mask(&frame);
    let observation = observation(&frame, &mask, &instruction);
    let proposals = propose(&observation, &ProposalSettings::default());
    let mut extractor = ColourPatches { cell_px: 4, bins: 4 };

    for object in ["red_mug", "blue_mug"] {
        let shown = proposals.iter().find(|p| covers(&frame, &layout, &p.pixels, object)).unwrap();
        let exemplar = square_crop(&frame.rgb, shown.bbox);
        let descriptor = exemplar_descriptor(&mut extractor, &exemplar).unwrap();
        let mut perception = SelectTrack::new(
            Scoring::Exemplar(descriptor),
            Some(Box::new(extractor)),
            Vec::new(),
            TrackerSettings::default(),
            LossPolicy::Hold,
        );
        let decision = perception.perceive(&observation).unwrap();
        let chosen = decision.chosen.expect("a proposal is chosen");
        let bbox = decision.candidates[chosen].bbox;
        assert_eq!(bbox, Some(shown.bbox), "the {object} exemplar chose {:?}", decision.candidates);
        assert_eq!(decision.events.len(), 1, "the selection is an event: {:?}", decision.events);

        // The next step tracks on the template taken from the same frame's features.
        let next = perception.perceive(&observation).unwrap();
        assert!(next.candidates.is_empty(), "a tracking step scores no candidates");
        let estimate = next.estimate.expect("the same frame keeps the track");
        assert!(estimate.confidence > 0.9, "confidence {}", estimate.confidence);
        let target = layout.objects.iter().find(|o| o.id == object).unwrap().position;
        assert!((estimate.position - target).truncate().length() < 0.06, "{:?} vs {target}", estimate.position);
    }
}

#[test]
fn text_embedding_cache_hits() {
    let dir = repo_path("tests/fixtures/reference/siglip-tiny");
    let encoder = Arc::new(SiglipEncoder::load(dir.to_str().unwrap(), &Device::Cpu).unwrap());
    let cache = Arc::new(TextEmbeddingCache::default());
    let crops = vec![RgbImage::from_pixel(20, 30, Rgb([200, 20, 20])), RgbImage::from_pixel(40, 40, Rgb([20, 20, 200]))];
    let prompts = fill_templates(&["{}".to_owned(), "a photo of {}".to_owned()], "red mug");

    let mut scorer = SiglipScorer::new(encoder.clone(), cache.clone());
    let first = scorer.score(&crops, &prompts).unwrap();
    assert_eq!(cache.counts(), (0, 2));
    // A new scorer of the same checkpoint, as the next episode builds, shares the cache.
    let mut next = SiglipScorer::new(encoder, cache.clone());
    let second = next.score(&crops, &prompts).unwrap();
    assert_eq!(cache.counts(), (2, 2));
    assert_eq!(first, second);
    assert!(first.iter().all(|s| (0.0..=1.0).contains(s)), "sigmoid scores: {first:?}");
}
