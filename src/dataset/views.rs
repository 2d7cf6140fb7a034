//! Random camera pairs: view 0 looks at the objects from the front, view 1 orbits it by a
//! random step around the same point.

use bevy::math::Vec3;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::observe::{CameraModel, CameraPose, Intrinsics};
use crate::scene::{ImageSize, Layout};

/// Vertical field of view of both views, degrees, as in the shipped scenes.
pub const FOV_Y_DEG: f32 = 55.0;
/// Azimuth step of view 1 around the look-at point, degrees (either direction).
const ORBIT_AZIMUTH_DEG: (f32, f32) = (10.0, 35.0);
/// Elevation change of view 1, degrees (either direction).
const ORBIT_ELEVATION_DEG: f32 = 10.0;
/// Relative change of view 1's distance to the look-at point.
const ORBIT_DISTANCE_SHARE: f32 = 0.15;
/// Camera pairs drawn for one object set before the set is drawn again.
const VIEW_TRIES: usize = 30;
/// Inset of the image border that object key points must lie inside, share of the image size.
const VIEW_MARGIN_SHARE: f32 = 0.03;

/// Ranges view 0 is drawn from, around the mean of the object centres.
#[derive(Debug, Clone, Copy)]
pub struct ViewSampling {
    /// Horizontal angle of the eye from the -X direction (the front, where a robot base
    /// would be), degrees, either side.
    pub azimuth_deg: f32,
    /// Angle of the optical axis below the horizon, degrees.
    pub elevation_deg: (f32, f32),
    /// Eye distance from the look-at point, metres.
    pub distance_m: (f32, f32),
}

impl ViewSampling {
    /// Above and behind the table's front edge, looking down 30 to 60°.
    pub const TABLETOP: ViewSampling = ViewSampling {
        azimuth_deg: 35.0,
        elevation_deg: (30.0, 60.0),
        distance_m: (0.8, 1.2),
    };
    /// In front of the shelf unit, about as far as the shipped warehouse camera (1 m), so
    /// that objects span as many pixels as they do in episodes. The angle is shallower so
    /// that the boards above do not hide the lower shelves.
    pub const SHELVES: ViewSampling = ViewSampling {
        azimuth_deg: 30.0,
        elevation_deg: (15.0, 40.0),
        distance_m: (0.9, 1.4),
    };
}

/// Spherical eye placement around a look-at point.
#[derive(Debug, Clone, Copy)]
struct Orbit {
    azimuth_rad: f32,
    elevation_rad: f32,
    distance_m: f32,
}

impl Orbit {
    fn camera(&self, look_at: Vec3, size: ImageSize) -> CameraModel {
        let (sin_el, cos_el) = self.elevation_rad.sin_cos();
        let (sin_az, cos_az) = self.azimuth_rad.sin_cos();
        let offset = Vec3::new(-cos_el * cos_az, -cos_el * sin_az, sin_el) * self.distance_m;
        CameraModel {
            intrinsics: Intrinsics::from_vertical_fov(size, FOV_Y_DEG.to_radians()),
            pose: CameraPose::look_at(look_at + offset, look_at),
        }
    }
}

/// Draws view 0 and view 1 until every object's key points lie inside both images. Returns
/// `None` after [`VIEW_TRIES`] failed pairs.
pub fn sample_views(
    rng: &mut ChaCha8Rng,
    sampling: &ViewSampling,
    layout: &Layout,
    size: ImageSize,
) -> Option<[CameraModel; 2]> {
    let centres: Vec<Vec3> = layout.objects.iter().map(|o| o.position).collect();
    let look_at = centres.iter().copied().sum::<Vec3>() / centres.len() as f32;
    for _ in 0..VIEW_TRIES {
        let first = Orbit {
            azimuth_rad: rng
                .random_range(-sampling.azimuth_deg..=sampling.azimuth_deg)
                .to_radians(),
            elevation_rad: rng
                .random_range(sampling.elevation_deg.0..=sampling.elevation_deg.1)
                .to_radians(),
            distance_m: rng.random_range(sampling.distance_m.0..=sampling.distance_m.1),
        };
        let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        let second = Orbit {
            azimuth_rad: first.azimuth_rad
                + sign
                    * rng
                        .random_range(ORBIT_AZIMUTH_DEG.0..=ORBIT_AZIMUTH_DEG.1)
                        .to_radians(),
            elevation_rad: first.elevation_rad
                + rng
                    .random_range(-ORBIT_ELEVATION_DEG..=ORBIT_ELEVATION_DEG)
                    .to_radians(),
            distance_m: first.distance_m
                * (1.0 + rng.random_range(-ORBIT_DISTANCE_SHARE..=ORBIT_DISTANCE_SHARE)),
        };
        let views = [first.camera(look_at, size), second.camera(look_at, size)];
        if views.iter().all(|view| objects_in_view(view, layout)) {
            return Some(views);
        }
    }
    None
}

/// Checks that the centre, top and bottom of every object project inside the image, inset by
/// [`VIEW_MARGIN_SHARE`]. Occlusion is not checked, because crops skip occluded objects later.
fn objects_in_view(camera: &CameraModel, layout: &Layout) -> bool {
    let k = &camera.intrinsics;
    let margin_u = VIEW_MARGIN_SHARE * k.width as f32;
    let margin_v = VIEW_MARGIN_SHARE * k.height as f32;
    layout.objects.iter().all(|object| {
        let half_height = 0.5 * object.shape.height();
        [-half_height, 0.0, half_height].iter().all(|&dz| {
            camera
                .project(object.position + Vec3::new(0.0, 0.0, dz))
                .is_some_and(|(pixel, _)| {
                    pixel.x >= margin_u
                        && pixel.x <= k.width as f32 - margin_u
                        && pixel.y >= margin_v
                        && pixel.y <= k.height as f32 - margin_v
                })
        })
    })
}
