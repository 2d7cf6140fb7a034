//! The tracker on rendered frames, with the colour-histogram stand-in extractor so that the
//! tracking logic is tested apart from any weights. Ground truth comes from the layout and the
//! instance images, which perception never reads.

use std::path::{Path, PathBuf};

use bevy::math::{Quat, Vec3};
use pickloop::act::arm::ArmModel;
use pickloop::episode::{CaptureRequest, EpisodeRun, EpisodeSpec, SceneSession};
use pickloop::observe::camera::camera_pose;
use pickloop::observe::frame::{ROBOT_ID_BASE, object_instance_id};
use pickloop::observe::{CameraModel, CameraPose, Frame};
use pickloop::perception::proposals::{ProposalSettings, propose};
use pickloop::perception::track::{ColourPatches, LossReason, PatchFeatureExtractor, Tracker, TrackerSettings};
use pickloop::perception::{Observation, PerceptionConfig};
use pickloop::scene::{Layout, load_scene};

/// Cell side of the colour stand-in, pixels.
const CELL_PX: u32 = 4;
/// Histogram bins per channel of the colour stand-in.
const BINS: u32 = 4;
/// Largest horizontal distance of the lifted match from the target's centre, metres: the
/// bottle's radius plus a margin for the surface point the match lands on.
const MAX_ERROR_M: f32 = 0.06;
/// Frames in which at least this share of the target's first-frame pixels is visible must
/// keep the track. Other frames may lose it, because the arm hides the bottle during part of
/// the orbit.
const MIN_VISIBLE_SHARE: f32 = 0.25;

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A session on the orbit scene with the objects at their layout poses.
struct Rig {
    session: SceneSession,
    request: CaptureRequest,
    target_index: usize,
    target_position: Vec3,
}

impl Rig {
    fn new() -> Self {
        let loaded = load_scene(&repo_path("scenes/tabletop_orbit.ron")).unwrap();
        let assets = repo_path("assets");
        let arm = ArmModel::load(assets.join(&loaded.scene.robot.urdf)).unwrap();
        let rates = loaded.scene.rates;
        let session = SceneSession::new(loaded, arm, rates, &assets).unwrap();
        let scene = &session.loaded.scene;
        let spec = EpisodeSpec {
            episode: 0,
            seed: scene.seed,
            perception: PerceptionConfig::named("oracle"),
            save_frames: None,
            frame_effects: Default::default(),
            record_frames: false,
        };
        let run = EpisodeRun::new(scene, &session.arm, session.rates, spec).unwrap();
        let layout = Layout::sample(scene, scene.seed);
        let target_index = layout.objects.iter().position(|o| o.id == scene.target).unwrap();
        let request = CaptureRequest {
            step: 0,
            time_s: 0.0,
            camera_id: scene.view.clone(),
            camera: run.view_camera(scene),
            poses: run.body_poses(),
        };
        Self {
            target_position: layout.objects[target_index].position,
            session,
            request,
            target_index,
        }
    }

    /// Returns the view camera of the scene's orbit at `time_s`.
    fn orbit_camera(&self, time_s: f32) -> CameraModel {
        let scene = &self.session.loaded.scene;
        let view = scene.cameras.iter().find(|c| c.id == scene.view).unwrap();
        let pose = camera_pose(view, time_s, (Vec3::ZERO, Quat::IDENTITY), scene.seed);
        CameraModel { pose, ..self.request.camera }
    }

    fn render(&mut self, camera: CameraModel) -> Frame {
        let request = CaptureRequest { camera, ..self.request.clone() };
        self.session.capture(&request).unwrap()
    }

    /// Bounding box and count of the target's pixels in the instance image.
    fn target_pixels(&self, frame: &Frame) -> Option<([u32; 4], usize)> {
        let id = object_instance_id(self.target_index);
        let mut bbox: Option<[u32; 4]> = None;
        let mut count = 0;
        for v in 0..frame.instances.height {
            for u in 0..frame.instances.width {
                if frame.instances.get(u, v) == id {
                    let b = bbox.get_or_insert([u, v, u, v]);
                    *b = [b[0].min(u), b[1].min(v), b[2].max(u), b[3].max(v)];
                    count += 1;
                }
            }
        }
        bbox.map(|b| (b, count))
    }
}

fn robot_mask(frame: &Frame) -> Vec<bool> {
    frame.instances.data.iter().map(|&id| id >= ROBOT_ID_BASE).collect()
}

fn observation<'a>(frame: &'a Frame, mask: &'a [bool]) -> Observation<'a> {
    Observation {
        step: frame.step,
        time_s: frame.time_s,
        rgb: &frame.rgb,
        depth: &frame.depth,
        camera: &frame.camera,
        robot_mask: mask,
        instruction: "pick up the green bottle",
    }
}

/// Starts a tracker on the depth proposal that covers the target in the first orbit frame.
fn start_on_target(rig: &mut Rig, extractor: &mut ColourPatches) -> Tracker {
    let frame = rig.render(rig.orbit_camera(0.0));
    let mask = robot_mask(&frame);
    let observation = observation(&frame, &mask);
    let id = object_instance_id(rig.target_index);
    let proposals = propose(&observation, &ProposalSettings::default());
    let on_target = proposals
        .iter()
        .max_by_key(|p| p.pixels.iter().filter(|&&i| frame.instances.data[i] == id).count())
        .expect("the orbit scene has depth proposals");
    let grid = extractor.extract(&frame.rgb).unwrap();
    Tracker::start(&grid, &on_target.pixels, frame.rgb.width(), TrackerSettings::default()).unwrap()
}

#[test]
fn tracker_follows_orbit() {
    let mut rig = Rig::new();
    let mut extractor = ColourPatches { cell_px: CELL_PX, bins: BINS };
    let mut tracker = start_on_target(&mut rig, &mut extractor);
    let first = rig.render(rig.orbit_camera(0.0));
    let (_, full_area) = rig.target_pixels(&first).unwrap();
    let time_limit_s = rig.session.loaded.scene.time_limit_s;
    let frames = 20;
    let mut tracked = 0;
    for index in 1..=frames {
        let time_s = time_limit_s * index as f32 / frames as f32;
        let frame = rig.render(rig.orbit_camera(time_s));
        let mask = robot_mask(&frame);
        let grid = extractor.extract(&frame.rgb).unwrap();
        let update = tracker.update(&grid, &observation(&frame, &mask));

        // The arm passes between the orbit camera and the bottle for a few seconds.
        let Some(([u_min, v_min, u_max, v_max], area)) = rig.target_pixels(&frame) else {
            assert!(update.lost.is_some(), "at {time_s} s the hidden target was matched: {update:?}");
            continue;
        };
        if update.lost.is_none() {
            let error = (update.position.unwrap() - rig.target_position).truncate().length();
            assert!(error < MAX_ERROR_M, "at {time_s} s the estimate is {error:.3} m from the target");
        }
        if (area as f32) < MIN_VISIBLE_SHARE * full_area as f32 {
            continue;
        }
        assert_eq!(update.lost, None, "lost at {time_s} s with confidence {}", update.confidence);
        assert_eq!(update.heat.matched_pixel, Some(update.pixel), "at {time_s} s the heat map lacks the match");
        let [u, v] = update.pixel;
        let margin = CELL_PX as f32 / 2.0;
        let inside_u = (u_min as f32 - margin..=u_max as f32 + 1.0 + margin).contains(&u);
        let inside_v = (v_min as f32 - margin..=v_max as f32 + 1.0 + margin).contains(&v);
        assert!(
            inside_u && inside_v,
            "at {time_s} s the match ({u:.1}, {v:.1}) is outside the target's box {:?}",
            [u_min, v_min, u_max, v_max]
        );
        let (projected, _) = frame.camera.project(rig.target_position).unwrap();
        let box_diagonal = ((u_max - u_min) as f32).hypot((v_max - v_min) as f32);
        assert!(
            (projected.x - u).hypot(projected.y - v) < box_diagonal,
            "at {time_s} s the match ({u:.1}, {v:.1}) is far from the target's projection {projected}"
        );
        tracked += 1;
    }
    assert!(tracked >= frames * 3 / 4, "the target was clearly visible in only {tracked} of {frames} frames");
}

#[test]
fn tracker_reports_loss_out_of_view() {
    let mut rig = Rig::new();
    let mut extractor = ColourPatches { cell_px: CELL_PX, bins: BINS };
    let mut tracker = start_on_target(&mut rig, &mut extractor);

    // Level, above the table, facing sideways: only the background is in view.
    let eye = Vec3::new(0.45, 0.0, 1.4);
    let camera = CameraModel {
        pose: CameraPose::look_at(eye, Vec3::new(0.45, 3.0, 1.4)),
        ..rig.request.camera
    };
    let frame = rig.render(camera);
    let outside = camera.project(rig.target_position).is_none_or(|(pixel, _)| {
        pixel.x < 0.0 || pixel.y < 0.0 || pixel.x >= frame.rgb.width() as f32 || pixel.y >= frame.rgb.height() as f32
    });
    assert!(outside, "the test camera must not see the target");
    assert_eq!(rig.target_pixels(&frame), None);

    let mask = robot_mask(&frame);
    let grid = extractor.extract(&frame.rgb).unwrap();
    let update = tracker.update(&grid, &observation(&frame, &mask));
    assert_eq!(update.lost, Some(LossReason::LowConfidence), "confidence {}", update.confidence);
    assert!(update.position.is_none());
    assert!(update.confidence < TrackerSettings::default().loss_threshold);
    assert_eq!(update.heat.matched_pixel, None, "a lost target has no matched pixel");
}
