//! A Bevy camera projection built from pinhole intrinsics, so that rendered pixels follow
//! [`CameraModel::project`](crate::observe::CameraModel::project) exactly, including
//! non-square pixels and an off-centre principal point.

use bevy::camera::{CameraProjection, SubCameraView};
use bevy::math::{Mat4, Vec3A, Vec4};

use crate::observe::camera::Intrinsics;

/// Far distance used for frustum culling, metres. Depth itself has no far limit because the
/// projection is reverse-Z with an infinite far plane, like Bevy's `PerspectiveProjection`.
const CULLING_FAR_M: f32 = 1000.0;

/// Reverse-Z, infinite-far pinhole projection in Bevy's view space (+X right, +Y up, looking
/// along -Z).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PinholeProjection {
    pub intrinsics: Intrinsics,
    /// Distance of the near clipping plane, metres.
    pub near: f32,
}

impl PinholeProjection {
    /// Clip-from-view matrix for intrinsics `k`. With `w = -z_view`, it maps a view-space point
    /// to normalised device coordinates `x = 2u/width - 1`, `y = 1 - 2v/height` and depth
    /// `near / -z_view`, where `(u, v)` is the pixel position that `k` gives.
    fn clip_from_view(k: &Intrinsics, near: f32) -> Mat4 {
        let (width, height) = (k.width as f32, k.height as f32);
        Mat4::from_cols(
            Vec4::new(2.0 * k.fx / width, 0.0, 0.0, 0.0),
            Vec4::new(0.0, 2.0 * k.fy / height, 0.0, 0.0),
            Vec4::new(
                1.0 - 2.0 * k.cx / width,
                2.0 * k.cy / height - 1.0,
                0.0,
                -1.0,
            ),
            Vec4::new(0.0, 0.0, near, 0.0),
        )
    }
}

impl CameraProjection for PinholeProjection {
    fn get_clip_from_view(&self) -> Mat4 {
        Self::clip_from_view(&self.intrinsics, self.near)
    }

    fn get_clip_from_view_for_sub(&self, sub_view: &SubCameraView) -> Mat4 {
        // Scale the intrinsics to the full view size, then crop them to the sub view.
        let k = &self.intrinsics;
        let scale_x = sub_view.full_size.x as f32 / k.width as f32;
        let scale_y = sub_view.full_size.y as f32 / k.height as f32;
        let cropped = Intrinsics {
            width: sub_view.size.x,
            height: sub_view.size.y,
            fx: k.fx * scale_x,
            fy: k.fy * scale_y,
            cx: k.cx * scale_x - sub_view.offset.x,
            cy: k.cy * scale_y - sub_view.offset.y,
        };
        Self::clip_from_view(&cropped, self.near)
    }

    /// Keeps the intrinsics: the renderer checks that every target has the intrinsics' size.
    fn update(&mut self, _width: f32, _height: f32) {}

    fn far(&self) -> f32 {
        CULLING_FAR_M
    }

    fn get_frustum_corners(&self, z_near: f32, z_far: f32) -> [Vec3A; 8] {
        let k = &self.intrinsics;
        // View-space x and y of the image borders at unit distance.
        let left = -k.cx / k.fx;
        let right = (k.width as f32 - k.cx) / k.fx;
        let top = k.cy / k.fy;
        let bottom = -(k.height as f32 - k.cy) / k.fy;
        let corners_at = |z: f32| {
            let distance = z.abs();
            [
                Vec3A::new(right * distance, bottom * distance, z),
                Vec3A::new(right * distance, top * distance, z),
                Vec3A::new(left * distance, top * distance, z),
                Vec3A::new(left * distance, bottom * distance, z),
            ]
        };
        let [near_0, near_1, near_2, near_3] = corners_at(z_near);
        let [far_0, far_1, far_2, far_3] = corners_at(z_far);
        [near_0, near_1, near_2, near_3, far_0, far_1, far_2, far_3]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::camera::{CameraModel, CameraPose};
    use bevy::math::{Vec2, Vec3};

    #[test]
    fn projection_matches_camera_model() {
        let intrinsics = Intrinsics {
            width: 320,
            height: 240,
            fx: 300.0,
            fy: 280.0,
            cx: 150.0,
            cy: 130.0,
        };
        let camera = CameraModel {
            intrinsics,
            pose: CameraPose::look_at(Vec3::new(1.0, 0.5, 1.2), Vec3::new(0.0, 0.1, 0.7)),
        };
        let projection = PinholeProjection {
            intrinsics,
            near: 0.01,
        };
        let view_from_world =
            Mat4::from_rotation_translation(camera.pose.bevy_rotation(), camera.pose.position)
                .inverse();
        let clip_from_world = projection.get_clip_from_view() * view_from_world;

        for point in [
            Vec3::new(0.0, 0.1, 0.7),
            Vec3::new(0.2, -0.3, 0.9),
            Vec3::new(-0.1, 0.4, 0.5),
        ] {
            let (pixel, _) = camera.project(point).expect("point is in front");
            let clip = clip_from_world * point.extend(1.0);
            let ndc = clip.truncate() / clip.w;
            let from_ndc = Vec2::new(
                (ndc.x + 1.0) * 0.5 * intrinsics.width as f32,
                (1.0 - ndc.y) * 0.5 * intrinsics.height as f32,
            );
            assert!(
                from_ndc.abs_diff_eq(pixel, 1e-3),
                "{point}: Bevy pixel {from_ndc}, camera model pixel {pixel}"
            );
        }
    }

    #[test]
    fn sub_view_crops_pixels() {
        let intrinsics = Intrinsics {
            width: 200,
            height: 100,
            fx: 150.0,
            fy: 140.0,
            cx: 90.0,
            cy: 55.0,
        };
        let projection = PinholeProjection {
            intrinsics,
            near: 0.01,
        };
        // The sub view covers pixels 50..130 x 20..80 of a view twice the intrinsics' size.
        let sub_view = SubCameraView {
            full_size: bevy::math::UVec2::new(400, 200),
            offset: Vec2::new(50.0, 20.0),
            size: bevy::math::UVec2::new(80, 60),
        };
        let full = projection.get_clip_from_view();
        let sub = projection.get_clip_from_view_for_sub(&sub_view);
        let point = Vec3::new(0.05, -0.02, -1.0);
        let to_pixel = |clip_from_view: Mat4, width: f32, height: f32| {
            let clip = clip_from_view * point.extend(1.0);
            Vec2::new(
                (clip.x / clip.w + 1.0) * 0.5 * width,
                (1.0 - clip.y / clip.w) * 0.5 * height,
            )
        };
        let in_full_view = to_pixel(full, 400.0, 200.0);
        let in_sub_view = to_pixel(sub, 80.0, 60.0);
        assert!(
            (in_full_view - sub_view.offset).abs_diff_eq(in_sub_view, 1e-3),
            "full view pixel {in_full_view}, sub view pixel {in_sub_view}"
        );
    }
}
