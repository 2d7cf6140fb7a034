//! Pinhole camera models and camera trajectories.
//!
//! Camera frames follow the OpenCV convention used by depth sensors and calibration tools:
//! +X right, +Y down, +Z forward along the optical axis. Pixel `(u, v)` has its centre at
//! `(u + 0.5, v + 0.5)` in continuous image coordinates.

use bevy::math::{Mat3, Quat, Vec2, Vec3};
use serde::{Deserialize, Serialize};

use crate::scene::{Camera, ImageSize, Trajectory};

/// Pinhole intrinsics in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Intrinsics {
    pub width: u32,
    pub height: u32,
    pub fx: f32,
    pub fy: f32,
    pub cx: f32,
    pub cy: f32,
}

impl Intrinsics {
    /// Square-pixel intrinsics for a vertical field of view, principal point at the centre.
    pub fn from_vertical_fov(size: ImageSize, fov_y_rad: f32) -> Self {
        let fy = 0.5 * size.height as f32 / (0.5 * fov_y_rad).tan();
        Self {
            width: size.width,
            height: size.height,
            fx: fy,
            fy,
            cx: 0.5 * size.width as f32,
            cy: 0.5 * size.height as f32,
        }
    }
}

/// Rigid pose of a camera: the transform from camera coordinates to world coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraPose {
    pub position: Vec3,
    pub rotation: Quat,
}

impl CameraPose {
    /// Pose of a camera at `eye` whose optical axis points at `target`, with image "up" as close
    /// to world +Z as possible. Falls back to world +Y as the up hint when looking straight down.
    pub fn look_at(eye: Vec3, target: Vec3) -> Self {
        let forward = (target - eye).normalize_or(Vec3::NEG_Z);
        let up_hint = if forward.cross(Vec3::Z).length_squared() < 1e-8 {
            Vec3::Y
        } else {
            Vec3::Z
        };
        // Image +Y points down, so the camera's Y axis is the negated up direction.
        let right = forward.cross(up_hint).normalize();
        let down = forward.cross(right);
        let rotation = Quat::from_mat3(&Mat3::from_cols(right, down, forward));
        Self {
            position: eye,
            rotation,
        }
    }

    pub fn world_from_camera(&self, point_camera: Vec3) -> Vec3 {
        self.position + self.rotation * point_camera
    }

    pub fn camera_from_world(&self, point_world: Vec3) -> Vec3 {
        self.rotation.inverse() * (point_world - self.position)
    }

    /// Rotation of the same pose with Bevy's camera axes (+X right, +Y up, looking along -Z).
    pub fn bevy_rotation(&self) -> Quat {
        self.rotation * Quat::from_rotation_x(std::f32::consts::PI)
    }
}

/// A calibrated camera: the intrinsics and pose a real robot has for its sensor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CameraModel {
    pub intrinsics: Intrinsics,
    pub pose: CameraPose,
}

impl CameraModel {
    /// Projects a world point to continuous pixel coordinates and its depth along the optical
    /// axis in metres. Returns `None` for points behind the camera.
    pub fn project(&self, point_world: Vec3) -> Option<(Vec2, f32)> {
        let p = self.pose.camera_from_world(point_world);
        if p.z <= 1e-6 {
            return None;
        }
        let k = &self.intrinsics;
        Some((Vec2::new(k.fx * p.x / p.z + k.cx, k.fy * p.y / p.z + k.cy), p.z))
    }

    /// Lifts the centre of pixel `(u, v)` at `depth_m` along the optical axis to the world.
    pub fn unproject(&self, u: u32, v: u32, depth_m: f32) -> Vec3 {
        let k = &self.intrinsics;
        let x = (u as f32 + 0.5 - k.cx) / k.fx * depth_m;
        let y = (v as f32 + 0.5 - k.cy) / k.fy * depth_m;
        self.pose.world_from_camera(Vec3::new(x, y, depth_m))
    }
}

/// Evaluates a camera trajectory at simulated time `t_s`.
///
/// `tool_pose` is the arm's tool frame (position, rotation), which only wrist cameras use.
/// `seed` drives the phase of a shaking camera, so episodes are reproducible.
pub fn camera_pose(camera: &Camera, t_s: f32, tool_pose: (Vec3, Quat), seed: u64) -> CameraPose {
    match &camera.trajectory {
        Trajectory::Static { eye, look_at } => {
            CameraPose::look_at(Vec3::from(*eye), Vec3::from(*look_at))
        }
        Trajectory::Orbit {
            center,
            radius_m,
            height_m,
            start_deg,
            speed_deg_s,
        } => {
            let center = Vec3::from(*center);
            let angle = (start_deg + speed_deg_s * t_s).to_radians();
            let eye = center + Vec3::new(radius_m * angle.cos(), radius_m * angle.sin(), *height_m);
            CameraPose::look_at(eye, center)
        }
        Trajectory::Dolly {
            from,
            to,
            look_at,
            duration_s,
        } => {
            let s = if *duration_s > 0.0 {
                (t_s / duration_s).clamp(0.0, 1.0)
            } else {
                1.0
            };
            let eye = Vec3::from(*from).lerp(Vec3::from(*to), s);
            CameraPose::look_at(eye, Vec3::from(*look_at))
        }
        Trajectory::Shake {
            eye,
            look_at,
            amplitude_m,
            frequency_hz,
        } => {
            let offset = shake_offset(t_s, *amplitude_m, *frequency_hz, seed);
            CameraPose::look_at(Vec3::from(*eye) + offset, Vec3::from(*look_at))
        }
        Trajectory::Wrist { offset } => {
            let (tool_position, tool_rotation) = tool_pose;
            CameraPose {
                position: tool_position + tool_rotation * Vec3::from(*offset),
                rotation: tool_rotation,
            }
        }
    }
}

/// Smooth pseudo-random offset: three sines per axis at incommensurate frequencies with phases
/// drawn from the seed, scaled so the offset stays within `amplitude_m` on each axis.
fn shake_offset(t_s: f32, amplitude_m: f32, frequency_hz: f32, seed: u64) -> Vec3 {
    const FREQUENCY_RATIOS: [f32; 3] = [1.0, 1.37, 2.23];
    let mut offset = [0.0f32; 3];
    for (axis, value) in offset.iter_mut().enumerate() {
        for (k, ratio) in FREQUENCY_RATIOS.iter().enumerate() {
            let phase = phase_from_seed(seed, (axis * 3 + k) as u64);
            let w = std::f32::consts::TAU * frequency_hz * ratio;
            *value += (w * t_s + phase).sin() / FREQUENCY_RATIOS.len() as f32;
        }
    }
    Vec3::from(offset) * amplitude_m
}

fn phase_from_seed(seed: u64, index: u64) -> f32 {
    // SplitMix64 finaliser: a fixed, well-mixed hash of (seed, index).
    let mut z = seed.wrapping_add(index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z as f64 / u64::MAX as f64 * std::f64::consts::TAU) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_round_trips_through_unproject() {
        let size = ImageSize {
            width: 224,
            height: 224,
        };
        let camera = CameraModel {
            intrinsics: Intrinsics::from_vertical_fov(size, 55f32.to_radians()),
            pose: CameraPose::look_at(Vec3::new(1.0, 0.2, 1.5), Vec3::new(0.4, 0.0, 0.75)),
        };
        let point = camera.unproject(40, 180, 0.9);
        let (pixel, depth) = camera.project(point).expect("point is in front of the camera");
        assert!((pixel.x - 40.5).abs() < 1e-3, "u = {}", pixel.x);
        assert!((pixel.y - 180.5).abs() < 1e-3, "v = {}", pixel.y);
        assert!((depth - 0.9).abs() < 1e-5, "depth = {depth}");
    }

    #[test]
    fn look_at_keeps_world_up_at_image_top() {
        let pose = CameraPose::look_at(Vec3::new(1.0, 0.0, 1.0), Vec3::new(0.0, 0.0, 1.0));
        let camera = CameraModel {
            intrinsics: Intrinsics::from_vertical_fov(ImageSize::default(), 1.0),
            pose,
        };
        let (above, _) = camera.project(Vec3::new(0.0, 0.0, 1.2)).unwrap();
        let (below, _) = camera.project(Vec3::new(0.0, 0.0, 0.8)).unwrap();
        assert!(above.y < below.y, "higher points must have smaller v");
    }

    fn camera_with(trajectory: Trajectory) -> Camera {
        Camera {
            id: "test".to_owned(),
            fov_y_deg: 55.0,
            trajectory,
        }
    }

    const NO_TOOL: (Vec3, Quat) = (Vec3::ZERO, Quat::IDENTITY);

    #[test]
    fn orbit_turns_at_its_speed() {
        let camera = camera_with(Trajectory::Orbit {
            center: [0.5, 0.0, 0.75],
            radius_m: 1.0,
            height_m: 0.5,
            start_deg: 0.0,
            speed_deg_s: 90.0,
        });
        let start = camera_pose(&camera, 0.0, NO_TOOL, 0).position;
        let quarter = camera_pose(&camera, 1.0, NO_TOOL, 0).position;
        assert!(start.abs_diff_eq(Vec3::new(1.5, 0.0, 1.25), 1e-5), "{start}");
        assert!(quarter.abs_diff_eq(Vec3::new(0.5, 1.0, 1.25), 1e-5), "{quarter}");
    }

    #[test]
    fn dolly_stops_at_its_end() {
        let camera = camera_with(Trajectory::Dolly {
            from: [1.0, 0.0, 1.0],
            to: [2.0, 0.0, 1.0],
            look_at: [0.0, 0.0, 0.75],
            duration_s: 4.0,
        });
        let halfway = camera_pose(&camera, 2.0, NO_TOOL, 0).position;
        let after = camera_pose(&camera, 10.0, NO_TOOL, 0).position;
        assert!(halfway.abs_diff_eq(Vec3::new(1.5, 0.0, 1.0), 1e-5), "{halfway}");
        assert!(after.abs_diff_eq(Vec3::new(2.0, 0.0, 1.0), 1e-5), "{after}");
    }

    #[test]
    fn shake_is_bounded_and_seeded() {
        let eye = Vec3::new(1.0, 0.0, 1.2);
        let camera = camera_with(Trajectory::Shake {
            eye: eye.into(),
            look_at: [0.0, 0.0, 0.75],
            amplitude_m: 0.01,
            frequency_hz: 2.0,
        });
        let mut moved = false;
        for step in 0..200 {
            let t = step as f32 * 0.013;
            let offset = camera_pose(&camera, t, NO_TOOL, 5).position - eye;
            assert!(offset.abs().max_element() <= 0.01 + 1e-6, "offset {offset} at {t} s");
            assert_eq!(camera_pose(&camera, t, NO_TOOL, 5), camera_pose(&camera, t, NO_TOOL, 5));
            moved |= offset.length() > 1e-3;
        }
        assert!(moved, "the camera never shook");
        assert_ne!(camera_pose(&camera, 0.3, NO_TOOL, 5), camera_pose(&camera, 0.3, NO_TOOL, 6));
    }

    #[test]
    fn wrist_camera_follows_tool() {
        let camera = camera_with(Trajectory::Wrist {
            offset: [0.0, 0.05, 0.0],
        });
        let tool = (Vec3::new(0.4, 0.1, 0.9), Quat::from_rotation_x(std::f32::consts::PI));
        let pose = camera_pose(&camera, 0.0, tool, 0);
        assert!(pose.position.abs_diff_eq(Vec3::new(0.4, 0.05, 0.9), 1e-5), "{}", pose.position);
        let optical_axis = pose.rotation * Vec3::Z;
        assert!(optical_axis.abs_diff_eq(Vec3::NEG_Z, 1e-5), "looks along {optical_axis}");
    }
}
