//! The pick controller: a state machine that turns a perceived target position into joint
//! targets and a suction command, one call per control step.
//!
//! The phases run `Approach` → `PreGrasp` → `Descend` → `Attach` → `Lift` → `Hold`. Approach
//! moves in joint space to a pre-grasp pose above the target. PreGrasp settles there and follows
//! the target if it moves. Descend goes straight down with suction on until the cup seals, and
//! Attach is a short dwell before the lift. The failure ends are `TargetNotFound`,
//! `Unreachable`, `GraspFailed` and `Dropped`.

use bevy::math::{Isometry3d, Vec3};
use serde::{Deserialize, Serialize};

use super::arm::ArmModel;
use super::kinematics::{IkGoal, IkParams, face_target, solve_ik};

/// Largest remaining joint difference at which the joint-space approach counts as done, rad.
const APPROACH_DONE_RAD: f32 = 1e-3;

/// Perception's estimate of the target object's position.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TargetEstimate {
    /// World position of the object's centre or of a point on its top surface, metres. The
    /// controller descends until contact, so either works.
    pub position: Vec3,
    /// Confidence in 0..=1.
    pub confidence: f32,
}

/// Phase of a pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Approach,
    PreGrasp,
    Descend,
    Attach,
    Lift,
    Hold,
    /// No confident estimate for longer than the timeout while approaching the target.
    TargetNotFound,
    /// IK found no top-down pose for the target for longer than the timeout.
    Unreachable,
    /// Every descent reached the estimate plus the margin without the cup sealing.
    GraspFailed,
    /// The object came off the cup after it was attached.
    Dropped,
}

impl Phase {
    /// Returns whether the pick has ended in failure, after which the controller keeps the arm
    /// still.
    pub fn is_failure(self) -> bool {
        matches!(self, Phase::TargetNotFound | Phase::Unreachable | Phase::GraspFailed | Phase::Dropped)
    }
}

/// Entry into a phase at a simulated time.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PhaseEvent {
    pub phase: Phase,
    pub time_s: f32,
}

/// Tuning of the pick. Heights are relative to the estimate, so the same settings work on a
/// table and on a shelf board.
#[derive(Debug, Clone, PartialEq)]
pub struct PickSettings {
    /// Estimates below this confidence count as no estimate.
    pub min_confidence: f32,
    /// Time without a confident estimate during `Approach` and `PreGrasp` that ends the pick
    /// with `TargetNotFound`, seconds. Descents continue on the last estimate.
    pub target_timeout_s: f32,
    /// Time with no IK solution that ends the pick with `Unreachable`, seconds.
    pub unreachable_timeout_s: f32,
    /// Height of the pre-grasp tool position above the estimate, metres.
    pub approach_height_m: f32,
    /// Distance between the tool and the pre-grasp position at which the descent starts, metres.
    pub pregrasp_tolerance_m: f32,
    /// Tool speed while following the target above it, m/s.
    pub track_speed_m_s: f32,
    /// Tool speed while descending, m/s.
    pub descend_speed_m_s: f32,
    /// How far below the estimate the cup may go before the attempt counts as failed, metres.
    pub descend_margin_m: f32,
    /// Time the commanded tool waits at the bottom of a descent before it counts as failed, s.
    pub descend_dwell_s: f32,
    /// Attempts (descents) before `GraspFailed`.
    pub max_grasp_attempts: u32,
    /// Time to let the seal settle before lifting, seconds.
    pub attach_dwell_s: f32,
    /// Lift distance above the point where the object was attached, metres.
    pub lift_height_m: f32,
    /// Tool speed while lifting, m/s.
    pub lift_speed_m_s: f32,
    /// Fraction of each joint's URDF velocity limit used in joint-space moves.
    pub joint_speed_fraction: f32,
    /// Joint configuration that seeds IK when no earlier solution exists; it should point the
    /// tool down in front of the base. `None` seeds with the measured joints.
    pub ik_seed: Option<Vec<f32>>,
    pub ik: IkParams,
}

impl Default for PickSettings {
    fn default() -> Self {
        Self {
            min_confidence: 0.3,
            target_timeout_s: 3.0,
            unreachable_timeout_s: 0.5,
            approach_height_m: 0.20,
            pregrasp_tolerance_m: 0.01,
            track_speed_m_s: 0.25,
            descend_speed_m_s: 0.08,
            descend_margin_m: 0.02,
            descend_dwell_s: 0.3,
            max_grasp_attempts: 2,
            attach_dwell_s: 0.2,
            lift_height_m: 0.15,
            lift_speed_m_s: 0.12,
            joint_speed_fraction: 0.5,
            // A tool-down pose of pickloop_arm about 0.4 m in front of its base.
            ik_seed: Some(vec![0.0, 0.3, 1.6, 1.2416, 0.0, 0.0]),
            ik: IkParams::default(),
        }
    }
}

/// Measurements passed to the controller at each control step.
#[derive(Debug, Clone, Copy)]
pub struct ControlInput<'a> {
    /// Simulated time, seconds.
    pub time_s: f32,
    pub estimate: Option<TargetEstimate>,
    /// Measured joint angles, radians.
    pub joint_positions: &'a [f32],
    /// Measured tool frame origin in the world.
    pub tool_position: Vec3,
    /// Whether an object is attached to the suction cup.
    pub attached: bool,
}

/// Commands produced by the controller at each control step.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlCommand {
    /// Joint position targets, radians.
    pub joint_targets: Vec<f32>,
    pub suction: bool,
}

/// The pick state machine for one episode.
#[derive(Debug, Clone)]
pub struct PickController {
    arm: ArmModel,
    base: Isometry3d,
    settings: PickSettings,
    phase: Phase,
    timeline: Vec<PhaseEvent>,
    /// Last confident target position.
    target: Option<Vec3>,
    time_without_target_s: f32,
    time_without_ik_s: f32,
    /// Joint targets sent last step.
    joint_command: Option<Vec<f32>>,
    /// Tool position the Cartesian phases command.
    tool_command: Vec3,
    phase_start_s: f32,
    attempts: u32,
    lift_start_z: f32,
    suction: bool,
    last_time_s: Option<f32>,
}

impl PickController {
    /// Creates a controller for `arm` whose base link is at `base` in the world.
    pub fn new(arm: ArmModel, base: Isometry3d, settings: PickSettings) -> Self {
        Self {
            arm,
            base,
            settings,
            phase: Phase::Approach,
            timeline: Vec::new(),
            target: None,
            time_without_target_s: 0.0,
            time_without_ik_s: 0.0,
            joint_command: None,
            tool_command: Vec3::ZERO,
            phase_start_s: 0.0,
            attempts: 0,
            lift_start_z: 0.0,
            suction: false,
            last_time_s: None,
        }
    }

    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Returns every phase entered so far, with its start time.
    pub fn timeline(&self) -> &[PhaseEvent] {
        &self.timeline
    }

    /// Descents started so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Runs one control step.
    pub fn step(&mut self, input: &ControlInput) -> ControlCommand {
        let dt = self.last_time_s.map_or(0.0, |last| (input.time_s - last).max(0.0));
        self.last_time_s = Some(input.time_s);
        if self.timeline.is_empty() {
            self.enter(Phase::Approach, input.time_s);
        }
        let mut command = self
            .joint_command
            .clone()
            .unwrap_or_else(|| input.joint_positions.to_vec());

        match input.estimate {
            Some(estimate) if estimate.confidence >= self.settings.min_confidence => {
                self.target = Some(estimate.position);
                self.time_without_target_s = 0.0;
            }
            // The arm can hide the object from the camera during the descent, so only time
            // spent approaching or waiting above the target counts towards the timeout.
            _ if matches!(self.phase, Phase::Approach | Phase::PreGrasp) => self.time_without_target_s += dt,
            _ => {}
        }

        let holding_phase = matches!(self.phase, Phase::Attach | Phase::Lift | Phase::Hold);
        if holding_phase && !input.attached {
            self.fail(Phase::Dropped, input.time_s);
        } else if !holding_phase
            && !self.phase.is_failure()
            && self.time_without_target_s > self.settings.target_timeout_s
        {
            self.fail(Phase::TargetNotFound, input.time_s);
        }

        match self.phase {
            Phase::Approach => self.approach(input, dt, &mut command),
            Phase::PreGrasp => self.pre_grasp(input, dt, &mut command),
            Phase::Descend => self.descend(input, dt, &mut command),
            Phase::Attach => {
                if input.time_s - self.phase_start_s >= self.settings.attach_dwell_s {
                    self.lift_start_z = input.tool_position.z;
                    self.tool_command = input.tool_position;
                    self.enter(Phase::Lift, input.time_s);
                }
            }
            Phase::Lift => {
                let top = self.lift_start_z + self.settings.lift_height_m;
                self.tool_command.z = (self.tool_command.z + self.settings.lift_speed_m_s * dt).min(top);
                let reachable = self.track_tool_command(input, dt, &mut command);
                if !reachable {
                    // Near the edge of the workspace a tall object cannot go the full height, so
                    // the arm keeps it where the last solution put it.
                    tracing::debug!(z = input.tool_position.z, "lift stopped at the workspace boundary");
                    self.enter(Phase::Hold, input.time_s);
                } else if input.tool_position.z >= top - self.settings.pregrasp_tolerance_m {
                    self.enter(Phase::Hold, input.time_s);
                }
            }
            Phase::Hold => {}
            Phase::TargetNotFound | Phase::Unreachable | Phase::GraspFailed | Phase::Dropped => {}
        }

        self.joint_command = Some(command.clone());
        ControlCommand {
            joint_targets: command,
            suction: self.suction,
        }
    }

    /// Joint-space move towards the IK solution for the pre-grasp position.
    fn approach(&mut self, input: &ControlInput, dt: f32, command: &mut [f32]) {
        let Some(target) = self.target else { return };
        let goal = target + Vec3::Z * self.settings.approach_height_m;
        let Some(solution) = self.solve(goal, command, input, dt, true) else { return };

        let mut remaining = 0.0_f32;
        for ((value, goal_value), joint) in command.iter_mut().zip(&solution).zip(&self.arm.joints) {
            let max_step = self.settings.joint_speed_fraction * joint.max_velocity_rad_s * dt;
            *value += (goal_value - *value).clamp(-max_step, max_step);
            remaining = remaining.max((goal_value - *value).abs());
        }
        if remaining < APPROACH_DONE_RAD {
            self.tool_command = goal;
            self.enter(Phase::PreGrasp, input.time_s);
        }
    }

    /// Follows the point above the target in Cartesian space until the tool settles there.
    fn pre_grasp(&mut self, input: &ControlInput, dt: f32, command: &mut [f32]) {
        let Some(target) = self.target else { return };
        let goal = target + Vec3::Z * self.settings.approach_height_m;
        self.tool_command = move_towards(self.tool_command, goal, self.settings.track_speed_m_s * dt);
        self.track_tool_command(input, dt, command);
        if input.tool_position.distance(goal) < self.settings.pregrasp_tolerance_m {
            self.suction = true;
            self.attempts += 1;
            self.enter(Phase::Descend, input.time_s);
        }
    }

    /// Moves straight down over the target with suction on until the cup seals.
    fn descend(&mut self, input: &ControlInput, dt: f32, command: &mut [f32]) {
        if input.attached {
            // Stop pressing: hold the tool where the seal formed.
            self.tool_command = input.tool_position;
            self.track_tool_command(input, dt, command);
            self.enter(Phase::Attach, input.time_s);
            return;
        }
        let Some(target) = self.target else { return };
        let floor = target.z - self.settings.descend_margin_m;
        let horizontal = move_towards(
            self.tool_command.truncate().extend(0.0),
            target.truncate().extend(0.0),
            self.settings.track_speed_m_s * dt,
        );
        let z = (self.tool_command.z - self.settings.descend_speed_m_s * dt).max(floor);
        self.tool_command = horizontal.truncate().extend(z);
        self.track_tool_command(input, dt, command);

        if z <= floor {
            // The command sits at the floor; give the arm the dwell time to get there.
            if input.time_s - self.phase_start_s > self.descent_duration_s() + self.settings.descend_dwell_s {
                self.suction = false;
                if self.attempts >= self.settings.max_grasp_attempts {
                    self.fail(Phase::GraspFailed, input.time_s);
                } else {
                    tracing::debug!(attempt = self.attempts, "no seal at the bottom of the descent, retrying");
                    self.enter(Phase::PreGrasp, input.time_s);
                }
            }
        }
    }

    /// Time a full descent from the pre-grasp height to the floor takes at the descent speed.
    fn descent_duration_s(&self) -> f32 {
        (self.settings.approach_height_m + self.settings.descend_margin_m) / self.settings.descend_speed_m_s
    }

    /// Sets the joint command to the IK solution for the commanded tool position, limited by
    /// the joint speed. Returns false, leaving the command unchanged, when IK finds no solution.
    fn track_tool_command(&mut self, input: &ControlInput, dt: f32, command: &mut [f32]) -> bool {
        let goal = self.tool_command;
        let Some(solution) = self.solve(goal, command, input, dt, false) else { return false };
        for ((value, goal_value), joint) in command.iter_mut().zip(&solution).zip(&self.arm.joints) {
            let max_step = self.settings.joint_speed_fraction * joint.max_velocity_rad_s * dt;
            *value += (goal_value - *value).clamp(-max_step, max_step);
        }
        true
    }

    /// Solves IK for a top-down tool at `goal`. Before the object is attached, it ends the pick
    /// as `Unreachable` when no solution has been found for longer than the timeout.
    fn solve(&mut self, goal: Vec3, command: &[f32], input: &ControlInput, dt: f32, fresh_seed: bool) -> Option<Vec<f32>> {
        let mut seed = match (&self.settings.ik_seed, fresh_seed) {
            (Some(seed), true) if seed.len() == self.arm.dof() => seed.clone(),
            _ => command.to_vec(),
        };
        if fresh_seed {
            face_target(&self.arm, self.base, goal, &mut seed);
        }
        let solution = solve_ik(&self.arm, self.base, &IkGoal::top_down(goal), &seed, &self.settings.ik);
        if solution.converged {
            self.time_without_ik_s = 0.0;
            return Some(solution.joints);
        }
        self.time_without_ik_s += dt;
        let before_attach = matches!(self.phase, Phase::Approach | Phase::PreGrasp | Phase::Descend);
        if before_attach && self.time_without_ik_s > self.settings.unreachable_timeout_s {
            tracing::debug!(?goal, error_m = solution.position_error_m, "no IK solution, giving up");
            self.fail(Phase::Unreachable, input.time_s);
        }
        None
    }

    fn enter(&mut self, phase: Phase, time_s: f32) {
        tracing::debug!(?phase, time_s, "pick phase");
        self.phase = phase;
        self.phase_start_s = time_s;
        self.timeline.push(PhaseEvent { phase, time_s });
    }

    fn fail(&mut self, phase: Phase, time_s: f32) {
        self.suction = false;
        self.enter(phase, time_s);
    }
}

fn move_towards(from: Vec3, to: Vec3, max_distance: f32) -> Vec3 {
    let delta = to - from;
    let distance = delta.length();
    if distance <= max_distance || distance < 1e-9 {
        to
    } else {
        from + delta * (max_distance / distance)
    }
}

#[cfg(test)]
mod tests;
