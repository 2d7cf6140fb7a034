//! Captured frames: what a camera delivered at one physics step.

use image::RgbImage;

use super::camera::CameraModel;

/// Instance id of pixels that show no scene geometry (the background).
pub const BACKGROUND_ID: u16 = 0;
/// First instance id of support boxes; support `i` gets `SUPPORT_ID_BASE + i`.
pub const SUPPORT_ID_BASE: u16 = 0x4000;
/// First instance id of robot links; link `i` gets `ROBOT_ID_BASE + i`.
pub const ROBOT_ID_BASE: u16 = 0x8000;

/// Instance id of object `index` of the layout (ids start at 1).
pub fn object_instance_id(index: usize) -> u16 {
    u16::try_from(index + 1).expect("scenes have far fewer than 16384 objects")
}

/// Metric depth image: distance along the optical axis in metres, row-major.
/// Pixels that show no geometry are `f32::INFINITY`.
#[derive(Debug, Clone, PartialEq)]
pub struct DepthImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<f32>,
}

impl DepthImage {
    pub fn get(&self, u: u32, v: u32) -> f32 {
        self.data[(v * self.width + u) as usize]
    }
}

/// Instance-id image, row-major. For grading, tests and debugging overlays only: perception
/// never receives it.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceImage {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u16>,
}

impl InstanceImage {
    pub fn get(&self, u: u32, v: u32) -> u16 {
        self.data[(v * self.width + u) as usize]
    }
}

/// One captured frame of one camera.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Physics step whose world state the frame shows.
    pub step: u64,
    /// Simulated time of that step, seconds.
    pub time_s: f32,
    pub camera_id: String,
    pub camera: CameraModel,
    pub rgb: RgbImage,
    pub depth: DepthImage,
    pub instances: InstanceImage,
}
