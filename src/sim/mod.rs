//! Physics: the Rapier world of one episode, stepped directly rather than through Bevy's
//! schedule so that physics, control and perception rates stay independent.

mod arm_body;
pub mod shapes;
mod suction;
mod world;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;

pub use arm_body::{ARM_FRICTION, DriveGains};
pub use suction::{SuctionEvent, SuctionEventKind, SuctionSettings};
pub use world::{GRAVITY_M_S2, OBJECT_FRICTION, SUPPORT_FRICTION, SimSettings, SimWorld};

/// Errors raised while building a [`SimWorld`].
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("invalid physics rate {physics_hz} Hz: set rates.physics_hz to a positive number such as 240")]
    InvalidRate { physics_hz: f32 },
    #[error("robot.start_joints has {given} values but the arm has {expected} joints: give one angle (radians) per joint or leave it out")]
    StartJoints { given: usize, expected: usize },
    #[error("arm {urdf} has no collision element named \"suction_cup\" on its last link: name the cup's <collision> element so the gripper can detect contact")]
    NoSuctionCup { urdf: String },
    #[error("Rapier rejected the multibody joint {joint}: check that the URDF chain has no loop")]
    Multibody { joint: String },
}
