//! Observe: cameras, headless rendering of RGB, depth and instance ids, and the watch window.

pub mod camera;
pub mod frame;
pub mod render;
pub mod watch;

pub use camera::{CameraModel, CameraPose, Intrinsics};
pub use frame::{DepthImage, Frame, InstanceImage};
