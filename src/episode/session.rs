//! A scene prepared once (renderer, arm) and run for many seeds, headless.

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use tracing::warn;

use super::record::{CameraView, EvidenceRow, PerceptionRef, RatesRecord, SceneRef};
use super::frames::RecordedFrame;
use super::run::{CaptureRequest, EpisodeRun, EpisodeSpec};
use super::visuals::episode_bodies;
use crate::act::arm::ArmModel;
use crate::observe::render::{RenderSettings, Renderer};
use crate::observe::{Frame, Intrinsics};
use crate::scene::load::LoadedScene;
use crate::scene::{Layout, Rates};

/// A scene with its renderer and arm model, ready to run episodes.
pub struct SceneSession {
    pub loaded: LoadedScene,
    pub arm: ArmModel,
    pub rates: Rates,
    renderer: Renderer,
    /// Intrinsics of the perception camera, recorded in rows of episodes that never started.
    view_intrinsics: Intrinsics,
}

impl SceneSession {
    /// Builds the renderer for `loaded`. Objects keep their shapes across seeds (only poses
    /// change), so one renderer serves every episode of the scene.
    pub fn new(loaded: LoadedScene, arm: ArmModel, rates: Rates, assets_dir: &Path) -> anyhow::Result<Self> {
        let scene = &loaded.scene;
        let view = scene
            .cameras
            .iter()
            .find(|c| c.id == scene.view)
            .with_context(|| format!("view camera {:?} is not among the scene's cameras", scene.view))?;
        let view_intrinsics = Intrinsics::from_vertical_fov(scene.image, view.fov_y_deg.to_radians());
        let layout = Layout::sample(scene, scene.seed);
        let bodies = episode_bodies(scene, &layout, &arm);
        let settings = RenderSettings {
            size: scene.image,
            background: scene.background,
            lights: scene.lights.clone(),
            assets_dir: assets_dir.to_path_buf(),
        };
        let renderer = Renderer::new(settings, &bodies)
            .with_context(|| format!("cannot set up rendering for scene {:?}", scene.name))?;
        Ok(Self {
            loaded,
            arm,
            rates,
            renderer,
            view_intrinsics,
        })
    }

    /// Runs one episode to its outcome. An error inside the episode becomes an `error`
    /// outcome in the returned row, so every started episode is recorded.
    pub fn run(&mut self, spec: &EpisodeSpec) -> EvidenceRow {
        self.run_recorded(spec).0
    }

    /// [`run`](Self::run) that also returns the frames the episode recorded (none unless
    /// `spec.record_frames`).
    pub fn run_recorded(&mut self, spec: &EpisodeSpec) -> (EvidenceRow, Vec<RecordedFrame>) {
        let started = Instant::now();
        let mut run = match EpisodeRun::new(&self.loaded.scene, &self.arm, self.rates, spec.clone()) {
            Ok(run) => run,
            Err(error) => {
                warn!(episode = spec.episode, seed = spec.seed, "episode could not start: {error:#}");
                return (self.unstarted_row(spec, &error, started.elapsed().as_secs_f32()), Vec::new());
            }
        };
        if let Err(error) = self.drive(&mut run) {
            warn!(episode = spec.episode, seed = spec.seed, "episode failed: {error:#}");
            run.fail(&error);
        }
        let row = self.evidence_row(&run, started.elapsed().as_secs_f32());
        (row, std::mem::take(&mut run.frames))
    }

    fn drive(&mut self, run: &mut EpisodeRun) -> anyhow::Result<()> {
        while run.outcome().is_none() {
            self.step(run)?;
        }
        Ok(())
    }

    /// Advances `run` by one physics step. On a perception step it first renders the view
    /// camera, saves the frame when the spec requests frames, and hands it to perception.
    pub fn step(&mut self, run: &mut EpisodeRun) -> anyhow::Result<()> {
        if let Some(request) = run.pending_capture(&self.loaded.scene) {
            let mut frame = self.capture(&request)?;
            run.spec.frame_effects.apply(&mut frame, run.spec.seed);
            if let Some(dir) = &run.spec.save_frames {
                let stem = format!("{}_ep{:04}_step{:06}", self.loaded.scene.name, run.spec.episode, request.step);
                frame
                    .save_png(dir, &stem)
                    .with_context(|| format!("cannot save frames to {}", dir.display()))?;
            }
            run.supply_frame(&frame)?;
        }
        run.advance()?;
        Ok(())
    }

    /// Renders the request's camera with the world exactly as the request describes it.
    pub fn capture(&mut self, request: &CaptureRequest) -> anyhow::Result<Frame> {
        let cameras = [(request.camera_id.clone(), request.camera)];
        let mut frames = self
            .renderer
            .capture(&request.poses, &cameras, request.step, request.time_s)?;
        frames.pop().context("the renderer returned no frame for the view camera")
    }

    /// Builds the evidence row of a finished `run` of this scene; `wall_time_s` is the
    /// wall-clock time the episode took. Panics if `run` has no outcome yet.
    pub fn evidence_row(&self, run: &EpisodeRun, wall_time_s: f32) -> EvidenceRow {
        let trace = &run.trace;
        let outcome = run.outcome().cloned().expect("the episode loop ends only with an outcome");
        EvidenceRow {
            decision: trace.decision.clone(),
            actions: trace.actions.clone(),
            confidence_timeline: trace.confidence.clone(),
            perception_events: trace.events.clone(),
            sim_time_s: trace.sim_time_s,
            camera: CameraView {
                id: self.loaded.scene.view.clone(),
                intrinsics: run.intrinsics(),
                pose_at_decision: trace.decision_pose,
            },
            perception: PerceptionRef {
                name: trace.perception_name.clone(),
                privileged: trace.privileged,
                config: trace.perception_config.clone(),
            },
            ..self.row_header(&run.spec, outcome, wall_time_s)
        }
    }

    fn unstarted_row(&self, spec: &EpisodeSpec, error: &anyhow::Error, wall_time_s: f32) -> EvidenceRow {
        let outcome = super::Outcome::failed(super::FailureKind::Error, format!("{error:#}"), 0.0);
        self.row_header(spec, outcome, wall_time_s)
    }

    /// Builds the fields every row has, whether or not the episode started.
    fn row_header(&self, spec: &EpisodeSpec, outcome: super::Outcome, wall_time_s: f32) -> EvidenceRow {
        let scene = &self.loaded.scene;
        EvidenceRow {
            pickloop_version: env!("CARGO_PKG_VERSION").to_owned(),
            scene: SceneRef {
                name: scene.name.clone(),
                file: self.loaded.path.clone(),
                sha256: self.loaded.sha256.clone(),
            },
            episode: spec.episode,
            seed: spec.seed,
            perception: PerceptionRef {
                name: spec.perception.name.clone(),
                privileged: false,
                config: serde_json::Value::Null,
            },
            instruction: scene.instruction.clone(),
            target: scene.target.clone(),
            camera: CameraView {
                id: scene.view.clone(),
                intrinsics: self.view_intrinsics,
                pose_at_decision: None,
            },
            decision: None,
            perturbation: Vec::new(),
            actions: Vec::new(),
            confidence_timeline: Vec::new(),
            perception_events: Vec::new(),
            outcome,
            rates: RatesRecord {
                physics_hz: self.rates.physics_hz,
                control_hz: self.rates.control_hz,
                perception_hz: self.rates.perception_hz,
            },
            sim_time_s: 0.0,
            wall_time_s,
            sweep: None,
        }
    }
}
