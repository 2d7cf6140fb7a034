//! Contents of the watch window: the episode's bodies, the scene's lights, a fixed overview camera and
//! the perception camera as an inset in the top-right corner.

use std::path::{Path, PathBuf};

use bevy::camera::visibility::RenderLayers;
use bevy::camera::{ClearColorConfig, Projection, Viewport};
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::prelude::*;
use bevy::render::view::Msaa;
use bevy::window::PrimaryWindow;

use super::driver::{EpisodeStatus, EpisodeSystems};
use crate::act::arm::ArmModel;
use crate::episode::visuals::episode_bodies;
use crate::observe::render::{
    BodyKind, BodyPasses, BodyPose, PinholeProjection, RenderError, VisualBody, lights,
    spawn_visual_body,
};
use crate::observe::{CameraPose, Intrinsics};
use crate::scene::{Layout, Light, Rgb, Scene};

/// Vertical field of view of the overview camera.
const OVERVIEW_FOV_Y_DEG: f32 = 45.0;
/// Angle of the overview camera above the horizontal, seen from the point it looks at.
const OVERVIEW_ELEVATION_DEG: f32 = 40.0;
/// Space kept around the arm and the objects in the overview, metres.
const OVERVIEW_MARGIN_M: f32 = 0.12;
/// Horizontal distances below this count as "no direction", metres.
const MIN_HORIZONTAL_M: f32 = 0.01;
/// Width of the inset as a share of the window width.
const INSET_WIDTH_SHARE: f32 = 0.3;
/// Gap between the inset and the window border, physical pixels.
const INSET_MARGIN_PX: u32 = 12;
/// Width of the frame drawn around the inset, physical pixels.
const INSET_FRAME_PX: u32 = 2;
/// sRGB colour of the frame around the inset.
const INSET_FRAME_COLOR: Color = Color::srgb(0.95, 0.95, 0.95);
/// Render layer with no meshes: the frame camera only clears its viewport to the frame colour.
const EMPTY_LAYER: usize = 31;
/// Near clipping plane of both cameras, metres; wrist cameras see the gripper up close.
const NEAR_PLANE_M: f32 = 0.01;

/// Everything [`spawn_stage`] needs, computed before the app starts.
pub(super) struct StageSetup {
    bodies: Vec<VisualBody>,
    lights: Vec<Light>,
    background: Rgb,
    assets_dir: PathBuf,
    overview: Transform,
    intrinsics: Intrinsics,
    start_view_pose: CameraPose,
}

impl StageSetup {
    /// Prepares the stage from the episode's state at its start.
    pub fn new(
        scene: &Scene,
        layout: &Layout,
        arm: &ArmModel,
        start: &EpisodeStatus,
        assets_dir: &Path,
    ) -> Self {
        let start_view_pose = start.view_pose;
        let bodies = episode_bodies(scene, layout, arm);
        let view = scene
            .cameras
            .iter()
            .find(|camera| camera.id == scene.view)
            .expect("a running episode has found its view camera");
        Self {
            overview: overview_transform(scene, &bodies, &start.body_poses, start_view_pose),
            bodies,
            lights: scene.lights.clone(),
            background: scene.background,
            assets_dir: assets_dir.to_path_buf(),
            intrinsics: Intrinsics::from_vertical_fov(scene.image, view.fov_y_deg.to_radians()),
            start_view_pose,
        }
    }
}

/// Keeps the drawn bodies and the inset camera at the episode's poses, and the inset in its
/// corner when the window is resized.
pub(super) struct StagePlugin;

impl Plugin for StagePlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            Update,
            (place_bodies, place_inset_camera, layout_inset).after(EpisodeSystems),
        );
    }
}

/// Index of a drawn body in [`EpisodeStatus::body_poses`].
#[derive(Component, Debug, Clone, Copy)]
struct BodySlot(usize);

/// The camera that shows the whole scene.
#[derive(Component)]
struct OverviewCamera;

/// The camera that follows the perception camera, drawn as an inset.
#[derive(Component)]
struct InsetCamera;

/// Places a camera's viewport at the inset: the inset camera itself, and the frame camera that
/// draws a border by clearing a slightly larger viewport before the inset is drawn.
#[derive(Component)]
struct InsetViewport {
    /// Image width over height of the perception camera.
    aspect: f32,
    /// Pixels the viewport extends past the inset on every side.
    grow_px: u32,
    /// Window size, physical pixels, that the viewport was last laid out for.
    laid_out_for: Option<UVec2>,
}

/// Spawns bodies, lights and the two cameras into the window's world.
pub(super) fn spawn_stage(world: &mut World, setup: &StageSetup) -> Result<(), RenderError> {
    let [r, g, b] = setup.background;
    world.insert_resource(ClearColor(Color::srgb(r, g, b)));
    lights::spawn_lights(world, &setup.lights);
    for (slot, body) in setup.bodies.iter().enumerate() {
        let root = spawn_visual_body(world, body, &setup.assets_dir, BodyPasses::Color)?;
        world.entity_mut(root).insert(BodySlot(slot));
    }

    world.spawn((
        OverviewCamera,
        Camera3d::default(),
        Camera {
            order: 0,
            ..default()
        },
        Projection::Perspective(PerspectiveProjection {
            fov: OVERVIEW_FOV_Y_DEG.to_radians(),
            near: NEAR_PLANE_M,
            ..default()
        }),
        setup.overview,
        display_settings(),
    ));
    let k = setup.intrinsics;
    let aspect = k.width as f32 / k.height as f32;
    world.spawn((
        InsetViewport {
            aspect,
            grow_px: INSET_FRAME_PX,
            laid_out_for: None,
        },
        Camera3d::default(),
        // The viewport is set by `layout_inset` once the window size is known.
        Camera {
            order: 1,
            is_active: false,
            clear_color: ClearColorConfig::Custom(INSET_FRAME_COLOR),
            ..default()
        },
        RenderLayers::layer(EMPTY_LAYER),
        display_settings(),
    ));
    world.spawn((
        InsetCamera,
        InsetViewport {
            aspect,
            grow_px: 0,
            laid_out_for: None,
        },
        Camera3d::default(),
        Camera {
            order: 2,
            is_active: false,
            ..default()
        },
        // The pinhole projection maps the image to the whole viewport, so an inset with the
        // image's aspect ratio shows the perception camera's full image, undistorted.
        Projection::custom(PinholeProjection {
            intrinsics: k,
            near: NEAR_PLANE_M,
        }),
        camera_transform(&setup.start_view_pose),
        display_settings(),
    ));
    Ok(())
}

/// Colour settings of the headless colour cameras, so the inset looks like perception frames.
fn display_settings() -> (Msaa, Tonemapping, DebandDither) {
    // AcesFitted needs no lookup-table texture, unlike Bevy's default TonyMcMapface.
    (Msaa::Off, Tonemapping::AcesFitted, DebandDither::Disabled)
}

fn camera_transform(pose: &CameraPose) -> Transform {
    Transform::from_translation(pose.position).with_rotation(pose.bevy_rotation())
}

/// Computes a fixed camera pose that shows the arm and every object at the start of the
/// episode. The camera looks at the centre of the objects and the arm's base. It is on the
/// side the perception camera starts on, [`OVERVIEW_ELEVATION_DEG`] above the horizontal, just
/// far enough back that the objects and arm links fit.
fn overview_transform(
    scene: &Scene,
    bodies: &[VisualBody],
    start_poses: &[BodyPose],
    view_pose: CameraPose,
) -> Transform {
    let start_points = |keep: fn(BodyKind) -> bool| -> Vec<Vec3> {
        bodies
            .iter()
            .zip(start_poses)
            .filter(|(body, _)| keep(body.kind))
            .map(|(_, pose)| pose.position)
            .collect()
    };
    // The view centres on the objects and the arm's base, on the support surface, and backs off
    // until the raised links fit too.
    let centred = start_points(|kind| matches!(kind, BodyKind::Object(_) | BodyKind::RobotLink(0)));
    let points = start_points(|kind| matches!(kind, BodyKind::Object(_) | BodyKind::RobotLink(_)));
    let Some(&first) = centred.first() else {
        return Transform::from_translation(view_pose.position)
            .with_rotation(view_pose.bevy_rotation());
    };
    let (min, max) = centred
        .iter()
        .fold((first, first), |(min, max), &p| (min.min(p), max.max(p)));
    let focus = 0.5 * (min + max);

    let mut horizontal = (view_pose.position - focus).with_z(0.0);
    if horizontal.length() < MIN_HORIZONTAL_M {
        // A camera straight above the scene gives no side: look from behind the robot.
        horizontal = Quat::from_rotation_z(scene.robot.base_yaw_deg.to_radians()) * Vec3::NEG_X;
    }
    let elevation = OVERVIEW_ELEVATION_DEG.to_radians();
    let direction = horizontal.normalize() * elevation.cos() + Vec3::Z * elevation.sin();

    // Find the smallest distance at which every point, grown by the margin, lies inside the
    // vertical field of view both up-down and left-right. A window wider than tall then fits.
    let forward = -direction;
    let right = forward.cross(Vec3::Z).normalize();
    let up = right.cross(forward);
    let tan_half_fov = (0.5 * OVERVIEW_FOV_Y_DEG.to_radians()).tan();
    let distance = points
        .iter()
        .map(|&p| {
            let offset = p - focus;
            let off_axis = offset.dot(up).abs().max(offset.dot(right).abs()) + OVERVIEW_MARGIN_M;
            offset.dot(direction) + off_axis / tan_half_fov
        })
        .fold(0.0, f32::max);
    Transform::from_translation(focus + direction * distance).looking_at(focus, Vec3::Z)
}

fn place_bodies(status: Res<EpisodeStatus>, mut bodies: Query<(&BodySlot, &mut Transform)>) {
    for (slot, mut transform) in &mut bodies {
        if let Some(pose) = status.body_poses.get(slot.0) {
            *transform = Transform::from_translation(pose.position).with_rotation(pose.rotation);
        }
    }
}

fn place_inset_camera(
    status: Res<EpisodeStatus>,
    mut inset: Single<&mut Transform, With<InsetCamera>>,
) {
    **inset = camera_transform(&status.view_pose);
}

/// Puts the inset in the top-right corner with the perception image's aspect ratio, and hides
/// it when the window is too small for it.
fn layout_inset(
    window: Single<&Window, With<PrimaryWindow>>,
    mut cameras: Query<(&mut InsetViewport, &mut Camera)>,
) {
    let size = window.physical_size();
    for (mut inset, mut camera) in &mut cameras {
        if inset.laid_out_for == Some(size) {
            continue;
        }
        inset.laid_out_for = Some(size);
        let width = (size.x as f32 * INSET_WIDTH_SHARE).round() as u32;
        let height = (width as f32 / inset.aspect).round() as u32;
        let fits = width > 0
            && height > 0
            && width + INSET_MARGIN_PX <= size.x
            && height + INSET_MARGIN_PX <= size.y;
        camera.is_active = fits;
        camera.viewport = fits.then(|| Viewport {
            physical_position: UVec2::new(size.x - width - INSET_MARGIN_PX, INSET_MARGIN_PX)
                - UVec2::splat(inset.grow_px),
            physical_size: UVec2::new(width, height) + UVec2::splat(2 * inset.grow_px),
            ..default()
        });
    }
}
