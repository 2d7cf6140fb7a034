//! Headless rendering of RGB, metric depth and instance-id images with Bevy.
//!
//! [`bodies`] describes what to draw without depending on physics, [`spawn`] turns it into
//! Bevy entities, and [`Renderer`] renders the world state of one physics step from any
//! number of cameras on demand.

pub mod adapter;
pub mod bodies;
mod headless;
pub mod lights;
pub mod meshes;
pub mod projection;
mod readback;
pub mod spawn;
mod views;

use std::path::PathBuf;

pub use bodies::{
    BodyKind, BodyPose, Geometry, VisualBody, VisualPart, scene_bodies, scene_start_poses,
};
pub use headless::{RenderSettings, Renderer};
pub use projection::PinholeProjection;
pub use spawn::{BodyPasses, VisualBodyPlugin, spawn_visual_body};

/// Errors of the headless renderer.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "no graphics adapter found ({reason}). Install a Vulkan driver; for CPU rendering on \
         Debian/Ubuntu run `apt-get install mesa-vulkan-drivers`. If VK_ICD_FILENAMES or \
         VK_DRIVER_FILES is set, check that it names an existing ICD JSON file such as \
         /usr/share/vulkan/icd.d/lvp_icd.x86_64.json, and that WGPU_BACKEND, if set, includes \
         vulkan"
    )]
    NoAdapter { reason: String },
    #[error("failed to read texture {path}: {source}")]
    Texture {
        path: PathBuf,
        #[source]
        source: image::ImageError,
    },
    #[error("capture got {poses} body poses but the renderer was built with {bodies} bodies")]
    PoseCount { poses: usize, bodies: usize },
    #[error(
        "camera `{camera_id}` has a {width}x{height} image but the renderer was built for \
         {expected_width}x{expected_height}; use one image size for all cameras"
    )]
    ImageSize {
        camera_id: String,
        width: u32,
        height: u32,
        expected_width: u32,
        expected_height: u32,
    },
    #[error(
        "waiting for the GPU failed ({reason}); the device may be lost, so create a new renderer"
    )]
    DevicePoll { reason: String },
    #[error("no readback arrived after {updates} updates of the render app")]
    ReadbackTimedOut { updates: u32 },
    #[error(
        "the renderer did not settle within {seconds} s ({updates} warm-up frames): shaders or \
         assets were not ready; on a busy machine rerun, otherwise run with -v and look for Bevy \
         shader or asset errors"
    )]
    WarmUpTimedOut { updates: u32, seconds: u64 },
}
