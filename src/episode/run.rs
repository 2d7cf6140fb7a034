//! The step loop of one episode, as a state machine that a headless runner or the watch window
//! can drive.

use std::path::PathBuf;

use anyhow::Context;
use bevy::math::Vec3;

use super::frames::RecordedFrame;
use super::grade::{ControllerVerdict, Grader, Outcome, StepState};
use super::record::{DecisionRecord, TimedEvent};
use super::trace::{decision_record, EpisodeTrace};
use crate::act::arm::ArmModel;
use crate::act::controller::{ControlInput, Phase, PickController, PickSettings, TargetEstimate};
use crate::act::kinematics::base_pose;
use crate::observe::frame::ROBOT_ID_BASE;
use crate::observe::render::BodyPose;
use crate::observe::{camera, CameraModel, Frame, Intrinsics};
use crate::perturb::FrameEffects;
use crate::perception::{self, GroundTruth, Observation, PerceptionConfig, Perceiver, PerceiverKind};
use crate::scene::{Layout, Rates, Scene};
use crate::sim::SimWorld;

/// Simulated time the objects get to settle before the grader takes their start heights and
/// the loop starts perceiving and acting.
pub const SETTLE_TIME_S: f32 = 0.25;

/// Identity and settings of one episode.
#[derive(Debug, Clone)]
pub struct EpisodeSpec {
    pub episode: u64,
    pub seed: u64,
    pub perception: PerceptionConfig,
    /// Directory for every perception frame as PNG, if requested.
    pub save_frames: Option<PathBuf>,
    /// Sensor perturbations applied to each frame before perception receives it.
    pub frame_effects: FrameEffects,
    /// Keeps every perception frame with its decision in [`EpisodeRun::frames`], for the failure
    /// gallery and flip pairs.
    pub record_frames: bool,
}

/// A frame the loop needs before it may step on: the view camera at the current step.
#[derive(Debug, Clone)]
pub struct CaptureRequest {
    pub step: u64,
    pub time_s: f32,
    pub camera_id: String,
    pub camera: CameraModel,
    /// Poses of every rendered body: supports, then objects, then arm links.
    pub poses: Vec<BodyPose>,
}

/// One running episode.
pub struct EpisodeRun {
    pub spec: EpisodeSpec,
    sim: SimWorld,
    controller: PickController,
    perceiver: Perceiver,
    grader: Option<Grader>,
    object_ids: Vec<String>,
    target: usize,
    view_index: usize,
    intrinsics: Intrinsics,
    instruction: String,
    time_limit_s: f32,
    control_every: u64,
    perception_every: u64,
    settle_steps: u64,
    max_steps: u64,
    estimate: Option<TargetEstimate>,
    frame_supplied_for: Option<u64>,
    outcome: Option<Outcome>,
    pub(super) trace: EpisodeTrace,
    /// Every perception frame with its decision, when the spec requests recording.
    pub frames: Vec<RecordedFrame>,
}

impl EpisodeRun {
    pub fn new(scene: &Scene, arm: &ArmModel, rates: Rates, spec: EpisodeSpec) -> anyhow::Result<Self> {
        let layout = Layout::sample(scene, spec.seed);
        let target = layout
            .objects
            .iter()
            .position(|o| o.id == scene.target)
            .with_context(|| format!("target {:?} is not among the objects", scene.target))?;
        let view_index = scene
            .cameras
            .iter()
            .position(|c| c.id == scene.view)
            .with_context(|| format!("view camera {:?} is not among the cameras", scene.view))?;
        let intrinsics =
            Intrinsics::from_vertical_fov(scene.image, scene.cameras[view_index].fov_y_deg.to_radians());
        let sim = SimWorld::new(scene, &layout, arm, rates.physics_hz)?;
        let controller = PickController::new(arm.clone(), base_pose(&scene.robot), PickSettings::default());
        let perceiver = perception::build_perceiver(&spec.perception, spec.seed)?;
        let trace = EpisodeTrace::new(&perceiver);
        let physics_hz = rates.physics_hz;
        Ok(Self {
            spec,
            sim,
            controller,
            perceiver,
            grader: None,
            object_ids: layout.objects.iter().map(|o| o.id.clone()).collect(),
            target,
            view_index,
            intrinsics,
            instruction: scene.instruction.clone(),
            time_limit_s: scene.time_limit_s,
            control_every: steps_per_tick(physics_hz, rates.control_hz),
            perception_every: steps_per_tick(physics_hz, rates.perception_hz),
            settle_steps: (SETTLE_TIME_S * physics_hz).ceil() as u64,
            max_steps: (scene.time_limit_s * physics_hz).ceil() as u64,
            estimate: None,
            frame_supplied_for: None,
            outcome: None,
            trace,
            frames: Vec::new(),
        })
    }

    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    pub fn step(&self) -> u64 {
        self.sim.step_count()
    }

    pub fn time_s(&self) -> f32 {
        self.sim.time_s()
    }

    pub fn intrinsics(&self) -> Intrinsics {
        self.intrinsics
    }

    /// Physics steps between two control steps.
    pub fn physics_steps_per_control_tick(&self) -> u64 {
        self.control_every
    }

    pub fn phase(&self) -> Phase {
        self.controller.phase()
    }

    /// Poses of every rendered body now: supports, objects, arm links.
    pub fn body_poses(&self) -> Vec<BodyPose> {
        self.sim
            .support_poses()
            .into_iter()
            .chain(self.sim.object_poses())
            .chain(self.sim.link_poses())
            .map(|(position, rotation)| BodyPose { position, rotation })
            .collect()
    }

    /// Pose of the perception camera now.
    pub fn view_camera(&self, scene: &Scene) -> CameraModel {
        let view = &scene.cameras[self.view_index];
        CameraModel {
            intrinsics: self.intrinsics,
            pose: camera::camera_pose(view, self.sim.time_s(), self.sim.tool_pose(), self.spec.seed),
        }
    }

    /// Returns the frame request the loop needs before the next physics step, if this is a
    /// perception step.
    pub fn pending_capture(&self, scene: &Scene) -> Option<CaptureRequest> {
        let step = self.sim.step_count();
        let due = self.outcome.is_none()
            && step >= self.settle_steps
            && (step - self.settle_steps).is_multiple_of(self.perception_every)
            && self.frame_supplied_for != Some(step);
        due.then(|| CaptureRequest {
            step,
            time_s: self.sim.time_s(),
            camera_id: scene.view.clone(),
            camera: self.view_camera(scene),
            poses: self.body_poses(),
        })
    }

    /// Hands the requested frame to perception.
    pub fn supply_frame(&mut self, frame: &Frame) -> anyhow::Result<()> {
        anyhow::ensure!(
            frame.step == self.sim.step_count(),
            "frame of step {} supplied at step {}: frames must show the current step",
            frame.step,
            self.sim.step_count()
        );
        let robot_mask: Vec<bool> = frame.instances.data.iter().map(|&id| id >= ROBOT_ID_BASE).collect();
        let observation = Observation {
            step: frame.step,
            time_s: frame.time_s,
            rgb: &frame.rgb,
            depth: &frame.depth,
            camera: &frame.camera,
            robot_mask: &robot_mask,
            instruction: &self.instruction,
        };
        let decision = match &mut self.perceiver.kind {
            PerceiverKind::Sensor(perception) => perception.perceive(&observation)?,
            PerceiverKind::Privileged(perception) => {
                let objects: Vec<(String, Vec3)> = self
                    .object_ids
                    .iter()
                    .zip(self.sim.object_poses())
                    .map(|(id, (position, _))| (id.clone(), position))
                    .collect();
                let truth = GroundTruth {
                    target_id: &self.object_ids[self.target],
                    objects: &objects,
                };
                perception.perceive(&observation, &truth)?
            }
        };
        self.estimate = decision.estimate;
        if self.spec.record_frames {
            let record = decision_record(&decision, frame, &self.object_ids);
            self.frames.push(RecordedFrame {
                step: frame.step,
                time_s: frame.time_s,
                rgb: frame.rgb.clone(),
                candidates: record.candidates,
                chosen: record.chosen,
                heat: decision.heat.clone(),
                confidence: decision.estimate.map_or(0.0, |e| e.confidence),
                events: decision.events.clone(),
                phase: self.controller.phase(),
            });
        }
        for event in &decision.events {
            self.trace.events.push(TimedEvent {
                step: frame.step,
                time_s: frame.time_s,
                event: event.clone(),
            });
        }
        self.trace
            .confidence
            .push((frame.time_s, decision.estimate.map_or(0.0, |e| e.confidence)));
        if self.trace.decision.is_none() && decision.estimate.is_some() {
            let record: DecisionRecord = decision_record(&decision, frame, &self.object_ids);
            self.trace.decision = Some(record);
            self.trace.decision_pose = Some(frame.camera.pose);
        }
        self.frame_supplied_for = Some(frame.step);
        Ok(())
    }

    /// Advances physics by one step, running control on control steps and grading after it.
    /// Returns the outcome once the episode is decided.
    pub fn advance(&mut self) -> anyhow::Result<Option<&Outcome>> {
        if self.outcome.is_some() {
            return Ok(self.outcome.as_ref());
        }
        let step = self.sim.step_count();
        anyhow::ensure!(
            step < self.settle_steps
                || !(step - self.settle_steps).is_multiple_of(self.perception_every)
                || self.frame_supplied_for == Some(step),
            "step {step} is a perception step and needs a frame before physics may advance"
        );
        if step >= self.settle_steps && step.is_multiple_of(self.control_every) {
            let joint_positions = self.sim.joint_positions();
            let input = ControlInput {
                time_s: self.sim.time_s(),
                estimate: self.estimate,
                joint_positions: &joint_positions,
                tool_position: self.sim.tool_pose().0,
                attached: self.sim.attached_object().is_some(),
            };
            let command = self.controller.step(&input);
            self.sim.set_joint_targets(&command.joint_targets);
            self.sim.set_suction(command.suction);
        }

        self.sim.step();
        let time_s = self.sim.time_s();
        self.trace.sim_time_s = time_s;
        let heights: Vec<f32> = self.sim.object_poses().iter().map(|(p, _)| p.z).collect();
        if self.sim.step_count() == self.settle_steps {
            self.grader = Some(Grader::new(self.target, self.object_ids.clone(), heights.clone()));
        }
        let mut decided = None;
        if let Some(grader) = self.grader.as_mut() {
            let state = StepState {
                time_s,
                object_heights_m: &heights,
                attached: self.sim.attached_object(),
                arm_support_force_n: self.sim.arm_support_contact_force_n(),
                controller: verdict(self.controller.phase()),
            };
            decided = grader.observe(&state);
            if decided.is_none() && self.sim.step_count() >= self.max_steps {
                decided = Some(grader.timeout(self.time_limit_s));
            }
        }
        if let Some(outcome) = decided {
            self.trace.actions = self.controller.timeline().to_vec();
            self.outcome = Some(outcome);
        }
        Ok(self.outcome.as_ref())
    }

    /// Ends the episode with an `error` outcome.
    pub fn fail(&mut self, error: &anyhow::Error) {
        self.trace.actions = self.controller.timeline().to_vec();
        self.outcome = Some(Outcome::failed(
            super::FailureKind::Error,
            format!("{error:#}"),
            self.sim.time_s(),
        ));
    }
}

fn verdict(phase: Phase) -> ControllerVerdict {
    match phase {
        Phase::TargetNotFound => ControllerVerdict::TargetNotFound,
        Phase::Unreachable => ControllerVerdict::Unreachable,
        Phase::GraspFailed => ControllerVerdict::GraspFailed,
        Phase::Dropped => ControllerVerdict::Dropped,
        Phase::Approach | Phase::PreGrasp | Phase::Descend | Phase::Attach | Phase::Lift | Phase::Hold => {
            ControllerVerdict::Running
        }
    }
}

fn steps_per_tick(physics_hz: f32, rate_hz: f32) -> u64 {
    ((physics_hz / rate_hz).round() as u64).max(1)
}
