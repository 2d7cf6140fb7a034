//! Grade: the success predicate shared by every scene, and the failure kinds.

use serde::{Deserialize, Serialize};

/// Height the target must rise above its start height, metres.
pub const LIFT_HEIGHT_M: f32 = 0.10;
/// Time the target must stay attached and lifted, seconds.
pub const HOLD_DURATION_S: f32 = 1.0;
/// A non-target object risen more than this above its start height counts as lifted, metres.
pub const OTHER_OBJECT_LIFT_M: f32 = 0.05;
/// Arm-against-support normal force above which the episode fails as a collision, newtons.
/// About the weight of a 15 kg mass: far above the light brushes of a careful approach.
pub const COLLISION_FORCE_N: f32 = 150.0;
/// Rise of an attached target that counts as "was carried" when it later detaches, metres.
pub const CARRIED_HEIGHT_M: f32 = 0.02;

/// Cause of an episode's failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// An object other than the target was lifted.
    WrongObject,
    /// Perception never produced a usable estimate.
    TargetNotFound,
    /// The gripper did not attach to the target after its retries.
    GraspFailed,
    /// The target was carried and then came loose.
    Dropped,
    /// The time limit passed first.
    Timeout,
    /// The arm pressed against a table or shelf harder than the threshold.
    Collision,
    /// The episode could not run (rendering, perception or physics error).
    Error,
}

impl FailureKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            FailureKind::WrongObject => "wrong_object",
            FailureKind::TargetNotFound => "target_not_found",
            FailureKind::GraspFailed => "grasp_failed",
            FailureKind::Dropped => "dropped",
            FailureKind::Timeout => "timeout",
            FailureKind::Collision => "collision",
            FailureKind::Error => "error",
        }
    }
}

/// The graded end of an episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub success: bool,
    /// `None` exactly when `success` is true.
    pub failure: Option<FailureKind>,
    /// One sentence describing what happened, with the values that decided it.
    pub detail: String,
    /// Simulated time at which the outcome was decided, seconds.
    pub time_s: f32,
}

impl Outcome {
    pub fn failed(kind: FailureKind, detail: impl Into<String>, time_s: f32) -> Self {
        Self {
            success: false,
            failure: Some(kind),
            detail: detail.into(),
            time_s,
        }
    }
}

/// The controller's report on its own progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ControllerVerdict {
    Running,
    TargetNotFound,
    /// No top-down arm pose reaches the estimate; graded as a failed grasp.
    Unreachable,
    GraspFailed,
    /// The suction seal broke while holding an object.
    Dropped,
}

/// The state of the world after one physics step, as the grader needs it.
#[derive(Debug, Clone, Copy)]
pub struct StepState<'a> {
    pub time_s: f32,
    /// World Z of every object's centre, in layout order.
    pub object_heights_m: &'a [f32],
    pub attached: Option<usize>,
    /// Largest arm-against-support normal force during the step, newtons.
    pub arm_support_force_n: f32,
    pub controller: ControllerVerdict,
}

/// Watches an episode step by step and decides its outcome.
#[derive(Debug, Clone)]
pub struct Grader {
    target: usize,
    object_ids: Vec<String>,
    start_heights_m: Vec<f32>,
    lifted_since_s: Option<f32>,
    carried: bool,
}

impl Grader {
    /// `start_heights_m` are the objects' centre heights once they have settled.
    pub fn new(target: usize, object_ids: Vec<String>, start_heights_m: Vec<f32>) -> Self {
        Self {
            target,
            object_ids,
            start_heights_m,
            lifted_since_s: None,
            carried: false,
        }
    }

    /// Returns the outcome once the step decides it, `None` while the episode goes on.
    pub fn observe(&mut self, state: &StepState) -> Option<Outcome> {
        let t = state.time_s;
        if state.arm_support_force_n > COLLISION_FORCE_N {
            return Some(Outcome::failed(
                FailureKind::Collision,
                format!(
                    "the arm pressed against a support with {:.0} N (threshold {COLLISION_FORCE_N:.0} N)",
                    state.arm_support_force_n
                ),
                t,
            ));
        }

        for (index, (&height, &start)) in state.object_heights_m.iter().zip(&self.start_heights_m).enumerate() {
            if index != self.target && height - start > OTHER_OBJECT_LIFT_M {
                return Some(Outcome::failed(
                    FailureKind::WrongObject,
                    format!(
                        "object {:?} rose {:.3} m, not the target {:?}",
                        self.object_ids[index],
                        height - start,
                        self.object_ids[self.target]
                    ),
                    t,
                ));
            }
        }

        let rise = state.object_heights_m[self.target] - self.start_heights_m[self.target];
        let target_attached = state.attached == Some(self.target);
        if target_attached && rise > CARRIED_HEIGHT_M {
            self.carried = true;
        }
        if self.carried && !target_attached {
            return Some(Outcome::failed(
                FailureKind::Dropped,
                format!("the target came loose {rise:.3} m above its start height"),
                t,
            ));
        }

        if target_attached && rise >= LIFT_HEIGHT_M {
            let since = *self.lifted_since_s.get_or_insert(t);
            if t - since >= HOLD_DURATION_S {
                return Some(Outcome {
                    success: true,
                    failure: None,
                    detail: format!(
                        "held the target {rise:.3} m above its start for {HOLD_DURATION_S} s"
                    ),
                    time_s: t,
                });
            }
        } else {
            self.lifted_since_s = None;
        }

        match state.controller {
            ControllerVerdict::Running => None,
            ControllerVerdict::TargetNotFound => Some(Outcome::failed(
                FailureKind::TargetNotFound,
                "perception gave no usable target estimate before the controller gave up",
                t,
            )),
            ControllerVerdict::Unreachable => Some(Outcome::failed(
                FailureKind::GraspFailed,
                "the arm found no top-down pose that reaches the target estimate",
                t,
            )),
            ControllerVerdict::GraspFailed => Some(Outcome::failed(
                FailureKind::GraspFailed,
                "the gripper did not attach to the target after all retries",
                t,
            )),
            ControllerVerdict::Dropped => Some(Outcome::failed(
                FailureKind::Dropped,
                "the suction seal broke while the arm held an object",
                t,
            )),
        }
    }

    /// Builds the outcome of an episode still undecided at the time limit.
    pub fn timeout(&self, time_limit_s: f32) -> Outcome {
        Outcome::failed(
            FailureKind::Timeout,
            format!("the time limit of {time_limit_s} s passed before the target was held"),
            time_limit_s,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grader() -> Grader {
        Grader::new(0, vec!["mug".into(), "can".into()], vec![0.8, 0.8])
    }

    fn state(time_s: f32, heights: &[f32], attached: Option<usize>) -> StepState<'_> {
        StepState {
            time_s,
            object_heights_m: heights,
            attached,
            arm_support_force_n: 0.0,
            controller: ControllerVerdict::Running,
        }
    }

    #[test]
    fn success_needs_hold_duration() {
        let mut grader = grader();
        let lifted = [0.8 + LIFT_HEIGHT_M + 0.01, 0.8];
        assert_eq!(grader.observe(&state(1.0, &lifted, Some(0))), None);
        assert_eq!(grader.observe(&state(1.5, &lifted, Some(0))), None);
        let outcome = grader.observe(&state(2.0, &lifted, Some(0))).expect("decided");
        assert!(outcome.success, "{outcome:?}");
        assert_eq!(outcome.failure, None);
    }

    #[test]
    fn lift_interrupted_restarts_hold_clock() {
        let mut grader = grader();
        let lifted = [0.8 + LIFT_HEIGHT_M + 0.01, 0.8];
        let low = [0.8 + LIFT_HEIGHT_M - 0.01, 0.8];
        assert_eq!(grader.observe(&state(1.0, &lifted, Some(0))), None);
        assert_eq!(grader.observe(&state(1.6, &low, Some(0))), None);
        assert_eq!(grader.observe(&state(2.1, &lifted, Some(0))), None);
        assert!(grader.observe(&state(3.1, &lifted, Some(0))).unwrap().success);
    }

    #[test]
    fn lifting_other_object_is_wrong_object() {
        let mut grader = grader();
        let heights = [0.8, 0.8 + OTHER_OBJECT_LIFT_M + 0.01];
        let outcome = grader.observe(&state(1.0, &heights, Some(1))).unwrap();
        assert_eq!(outcome.failure, Some(FailureKind::WrongObject));
        assert!(outcome.detail.contains("\"can\""), "{}", outcome.detail);
    }

    #[test]
    fn detaching_carried_target_is_dropped() {
        let mut grader = grader();
        assert_eq!(grader.observe(&state(1.0, &[0.85, 0.8], Some(0))), None);
        let outcome = grader.observe(&state(1.1, &[0.84, 0.8], None)).unwrap();
        assert_eq!(outcome.failure, Some(FailureKind::Dropped));
    }

    #[test]
    fn strong_support_contact_is_collision() {
        let mut grader = grader();
        let heights = [0.8, 0.8];
        let mut pressed = state(1.0, &heights, None);
        pressed.arm_support_force_n = COLLISION_FORCE_N + 1.0;
        assert_eq!(grader.observe(&pressed).unwrap().failure, Some(FailureKind::Collision));
    }

    #[test]
    fn controller_verdicts_end_episode() {
        let heights = [0.8, 0.8];
        for (verdict, kind) in [
            (ControllerVerdict::TargetNotFound, FailureKind::TargetNotFound),
            (ControllerVerdict::GraspFailed, FailureKind::GraspFailed),
        ] {
            let mut grader = grader();
            let mut step = state(1.0, &heights, None);
            step.controller = verdict;
            assert_eq!(grader.observe(&step).unwrap().failure, Some(kind));
        }
    }

    #[test]
    fn failure_kind_names_match_serde() {
        let json = serde_json::to_string(&FailureKind::TargetNotFound).unwrap();
        assert_eq!(json, format!("\"{}\"", FailureKind::TargetNotFound.as_str()));
    }
}
