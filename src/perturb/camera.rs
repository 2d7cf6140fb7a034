//! Viewpoint axes of the view camera: azimuth, elevation, distance and orbit speed.
//!
//! Static, Shake and Dolly cameras are changed by moving each eye point (a dolly's `from` and
//! `to` alike) relative to the look-at point. Orbit cameras change their start angle, radius
//! and height. Wrist cameras ride on the arm and have no look-at point, so these axes reject
//! them.

use anyhow::{Context, bail, ensure};
use bevy::math::{Quat, Vec3};

use crate::scene::{Scene, Trajectory};

/// Elevation range that `camera_elevation` keeps the view within, degrees above the
/// horizontal plane through the look-at point. Beyond it the camera would look from below the
/// table or straight down, where look-at has no defined image up direction.
pub const MIN_ELEVATION_DEG: f64 = 5.0;
pub const MAX_ELEVATION_DEG: f64 = 85.0;
/// Closest the eye may come to the look-at point under `camera_distance`, metres.
pub const MIN_EYE_DISTANCE_M: f64 = 0.1;

fn view_trajectory<'s>(scene: &'s mut Scene) -> anyhow::Result<&'s mut Trajectory> {
    let view = scene.view.clone();
    let camera = scene
        .cameras
        .iter_mut()
        .find(|camera| camera.id == view)
        .with_context(|| format!("the view camera {view:?} is not one of the scene's cameras; run `pickloop scene check`"))?;
    if matches!(camera.trajectory, Trajectory::Wrist { .. }) {
        bail!(
            "the view camera {view:?} is wrist-mounted and has no look-at point to move around; \
             use a scene whose view camera is Static, Shake, Dolly or Orbit"
        );
    }
    Ok(&mut camera.trajectory)
}

/// Applies `change` to every eye point of a look-at trajectory, or `orbit` to an orbit.
fn move_eyes(
    scene: &mut Scene,
    mut change: impl FnMut(Vec3, Vec3) -> anyhow::Result<Vec3>,
    orbit: impl FnOnce(&mut f32, &mut f32, &mut f32) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match view_trajectory(scene)? {
        Trajectory::Static { eye, look_at } | Trajectory::Shake { eye, look_at, .. } => {
            *eye = change(Vec3::from(*eye), Vec3::from(*look_at))?.to_array();
        }
        Trajectory::Dolly {
            from, to, look_at, ..
        } => {
            let centre = Vec3::from(*look_at);
            *from = change(Vec3::from(*from), centre)?.to_array();
            *to = change(Vec3::from(*to), centre)?.to_array();
        }
        Trajectory::Orbit {
            radius_m,
            height_m,
            start_deg,
            ..
        } => orbit(radius_m, height_m, start_deg)?,
        Trajectory::Wrist { .. } => unreachable!("view_trajectory rejects wrist cameras"),
    }
    Ok(())
}

/// Rotates the eye by `degrees` about the vertical axis through the look-at point.
pub fn azimuth(scene: &mut Scene, degrees: f64) -> anyhow::Result<()> {
    let rotation = Quat::from_rotation_z((degrees as f32).to_radians());
    move_eyes(
        scene,
        |eye, look_at| Ok(look_at + rotation * (eye - look_at)),
        |_, _, start_deg| {
            *start_deg += degrees as f32;
            Ok(())
        },
    )
}

/// Returns the elevation of `offset` above the horizontal plane, degrees.
pub fn elevation_deg(offset: Vec3) -> f64 {
    f64::from(offset.z)
        .atan2(f64::from(offset.truncate().length()))
        .to_degrees()
}

/// Adds `degrees` to the elevation angle, keeping the distance to the look-at point and the
/// azimuth. The result is clamped into [`MIN_ELEVATION_DEG`]..=[`MAX_ELEVATION_DEG`].
pub fn elevation(scene: &mut Scene, degrees: f64) -> anyhow::Result<()> {
    let clamped = |current: f64| {
        let requested = current + degrees;
        let result = requested.clamp(MIN_ELEVATION_DEG, MAX_ELEVATION_DEG);
        if result != requested {
            tracing::warn!(
                current_deg = current,
                requested_deg = requested,
                result_deg = result,
                "camera_elevation clamped the view camera's elevation into {MIN_ELEVATION_DEG}..={MAX_ELEVATION_DEG} degrees"
            );
        }
        result.to_radians() as f32
    };
    move_eyes(
        scene,
        |eye, look_at| {
            let offset = eye - look_at;
            let horizontal = offset.truncate();
            ensure!(
                horizontal.length() > f32::EPSILON,
                "the eye is straight above or below its look-at point, so its azimuth is undefined; \
                 move the eye sideways in the scene first"
            );
            let angle = clamped(elevation_deg(offset));
            let length = offset.length();
            let direction = horizontal.normalize();
            Ok(look_at + (direction * angle.cos() * length).extend(angle.sin() * length))
        },
        |radius_m, height_m, _| {
            let length = radius_m.hypot(*height_m);
            let angle = clamped(elevation_deg(Vec3::new(*radius_m, 0.0, *height_m)));
            *radius_m = angle.cos() * length;
            *height_m = angle.sin() * length;
            Ok(())
        },
    )
}

/// Moves the eye `metres` along the ray from the look-at point, positive away from it.
pub fn distance(scene: &mut Scene, metres: f64) -> anyhow::Result<()> {
    let new_length = |length: f32| -> anyhow::Result<f32> {
        let result = f64::from(length) + metres;
        ensure!(
            result >= MIN_EYE_DISTANCE_M,
            "the eye is {length:.3} m from its look-at point, so moving it {metres} m leaves \
             {result:.3} m, closer than the minimum of {MIN_EYE_DISTANCE_M} m; use a magnitude of \
             at least {:.3}",
            MIN_EYE_DISTANCE_M - f64::from(length)
        );
        Ok(result as f32)
    };
    move_eyes(
        scene,
        |eye, look_at| {
            let offset = eye - look_at;
            Ok(look_at + offset.normalize() * new_length(offset.length())?)
        },
        |radius_m, height_m, _| {
            let length = radius_m.hypot(*height_m);
            let scale = new_length(length)? / length;
            *radius_m *= scale;
            *height_m *= scale;
            Ok(())
        },
    )
}

/// Makes the view camera orbit its look-at point `deg_per_s` faster. A static camera becomes
/// an orbit through its eye with the same radius, height and start angle.
pub fn speed(scene: &mut Scene, deg_per_s: f64) -> anyhow::Result<()> {
    let view = scene.view.clone();
    let trajectory = view_trajectory(scene)?;
    match trajectory {
        Trajectory::Static { eye, look_at } => {
            let offset = Vec3::from(*eye) - Vec3::from(*look_at);
            *trajectory = Trajectory::Orbit {
                center: *look_at,
                radius_m: offset.truncate().length(),
                height_m: offset.z,
                start_deg: offset.y.atan2(offset.x).to_degrees(),
                speed_deg_s: deg_per_s as f32,
            };
        }
        Trajectory::Orbit { speed_deg_s, .. } => *speed_deg_s += deg_per_s as f32,
        Trajectory::Shake { .. } | Trajectory::Dolly { .. } => bail!(
            "camera_speed turns Static cameras into orbits and speeds up Orbit cameras, but the \
             view camera {view:?} shakes or dollies; use a scene with a Static or Orbit view camera"
        ),
        Trajectory::Wrist { .. } => unreachable!("view_trajectory rejects wrist cameras"),
    }
    Ok(())
}
