//! Dense ground-truth correspondences between two views of the same static scene.

use crate::observe::Frame;
use crate::observe::frame::BACKGROUND_ID;

/// Spacing of the sample grid in image A, pixels. Samples sit at pixel `(s/2 + i s, s/2 + j s)`.
pub const GRID_STRIDE_PX: u32 = 8;
/// Absolute part of the depth agreement tolerance, metres.
pub const DEPTH_TOLERANCE_M: f32 = 0.01;
/// Relative part of the depth agreement tolerance, share of the projected depth.
pub const DEPTH_TOLERANCE_SHARE: f32 = 0.01;

/// One correspondence. Coordinates are continuous pixel coordinates in which pixel `(u, v)`
/// covers `[u, u + 1) × [v, v + 1)`, so its centre is `(u + 0.5, v + 0.5)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Correspondence {
    /// Centre of the sampled pixel in image A.
    pub a: [f32; 2],
    /// Projection of the same surface point into image B.
    pub b: [f32; 2],
    /// Instance id of the surface in both images.
    pub instance_id: u16,
}

/// Matches the grid pixels of `a` that show geometry to their projections in `b`.
///
/// Each sample is lifted to the world with A's depth and camera and projected into B. It is
/// kept when it lands inside B and B's instance id there equals A's. B's depth at that pixel
/// must also be within `DEPTH_TOLERANCE_M + DEPTH_TOLERANCE_SHARE × depth` of the projected
/// depth, so that points hidden in B are dropped.
pub fn correspondences(a: &Frame, b: &Frame, stride: u32) -> Vec<Correspondence> {
    let mut points = Vec::new();
    let (width_a, height_a) = (a.depth.width, a.depth.height);
    let (width_b, height_b) = (b.depth.width as f32, b.depth.height as f32);
    let half = stride / 2;
    for v in (half..height_a).step_by(stride as usize) {
        for u in (half..width_a).step_by(stride as usize) {
            let instance_id = a.instances.get(u, v);
            let depth_a = a.depth.get(u, v);
            if instance_id == BACKGROUND_ID || !depth_a.is_finite() {
                continue;
            }
            let world = a.camera.unproject(u, v, depth_a);
            let Some((pixel, depth)) = b.camera.project(world) else {
                continue;
            };
            if !(pixel.x >= 0.0 && pixel.x < width_b && pixel.y >= 0.0 && pixel.y < height_b) {
                continue;
            }
            let (u_b, v_b) = (pixel.x.floor() as u32, pixel.y.floor() as u32);
            let depth_b = b.depth.get(u_b, v_b);
            let tolerance = DEPTH_TOLERANCE_M + DEPTH_TOLERANCE_SHARE * depth;
            if !((depth_b - depth).abs() <= tolerance) || b.instances.get(u_b, v_b) != instance_id {
                continue;
            }
            points.push(Correspondence {
                a: [u as f32 + 0.5, v as f32 + 0.5],
                b: [pixel.x, pixel.y],
                instance_id,
            });
        }
    }
    points
}
