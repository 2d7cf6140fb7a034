//! Act: the arm model loaded from URDF, its kinematics, and the pick controller that turns a
//! perceived target into joint targets and a suction command.

pub mod arm;
pub mod controller;
pub mod kinematics;

pub use arm::{ArmError, ArmModel, GeometryShape, JointModel, LinkGeometry, LinkModel};
pub use kinematics::{ArmFrames, IkGoal, IkParams, IkSolution, base_pose, forward_kinematics, solve_ik};
pub use controller::{ControlCommand, ControlInput, Phase, PhaseEvent, PickController, PickSettings, TargetEstimate};
