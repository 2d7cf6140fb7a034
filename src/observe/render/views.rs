//! The cameras and target images of one view.
//!
//! A view has two cameras with the same pose and projection: a colour camera on
//! [`COLOR_LAYER`] that renders the PBR meshes into an `Rgba8UnormSrgb` image, and an id/depth
//! camera on [`ID_DEPTH_LAYER`] that renders the unlit duplicates into an `Rgba32Float` image.

use bevy::asset::RenderAssetUsages;
use bevy::camera::visibility::RenderLayers;
use bevy::camera::{ClearColorConfig, Projection, RenderTarget};
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::image::Image;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat, TextureUsages};
use bevy::render::view::Msaa;

use super::projection::PinholeProjection;
use super::spawn::{COLOR_LAYER, ID_DEPTH_LAYER};
use crate::observe::camera::{CameraPose, Intrinsics};
use crate::scene::ImageSize;

/// Distance of the near clipping plane, metres. Wrist cameras see the gripper from a few
/// centimetres away.
const NEAR_PLANE_M: f32 = 0.01;

/// The two cameras and target images of one view.
pub(super) struct View {
    pub color_camera: Entity,
    pub id_depth_camera: Entity,
    pub color_image: Handle<Image>,
    pub id_depth_image: Handle<Image>,
}

/// Spawns the cameras and target images of view `index`. Each capture sets the cameras' pose
/// and projection before rendering.
pub(super) fn spawn_view(world: &mut World, size: ImageSize, index: usize) -> View {
    let mut images = world.resource_mut::<Assets<Image>>();
    let color_image = images.add(target_image(size, TextureFormat::Rgba8UnormSrgb));
    let id_depth_image = images.add(target_image(size, TextureFormat::Rgba32Float));
    let order = index as isize;

    let color_camera = world
        .spawn((
            Camera3d::default(),
            Camera {
                order,
                clear_color: ClearColorConfig::Default,
                ..default()
            },
            RenderTarget::Image(color_image.clone().into()),
            camera_projection(&Intrinsics::from_vertical_fov(size, 1.0)),
            Transform::IDENTITY,
            Msaa::Off,
            // AcesFitted needs no lookup-table texture, unlike Bevy's default TonyMcMapface.
            Tonemapping::AcesFitted,
            DebandDither::Disabled,
            RenderLayers::layer(COLOR_LAYER),
        ))
        .id();
    let id_depth_camera = world
        .spawn((
            Camera3d::default(),
            Camera {
                order,
                clear_color: ClearColorConfig::Custom(Color::LinearRgba(LinearRgba::NONE)),
                ..default()
            },
            RenderTarget::Image(id_depth_image.clone().into()),
            camera_projection(&Intrinsics::from_vertical_fov(size, 1.0)),
            Transform::IDENTITY,
            Msaa::Off,
            Tonemapping::None,
            DebandDither::Disabled,
            RenderLayers::layer(ID_DEPTH_LAYER),
        ))
        .id();
    View {
        color_camera,
        id_depth_camera,
        color_image,
        id_depth_image,
    }
}

/// Creates an image that cameras render into and readbacks copy from.
fn target_image(size: ImageSize, format: TextureFormat) -> Image {
    let extent = Extent3d {
        width: size.width,
        height: size.height,
        depth_or_array_layers: 1,
    };
    let mut image = Image::new_uninit(
        extent,
        TextureDimension::D2,
        format,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.texture_descriptor.usage |= TextureUsages::RENDER_ATTACHMENT | TextureUsages::COPY_SRC;
    image
}

pub(super) fn camera_transform(pose: &CameraPose) -> Transform {
    Transform::from_translation(pose.position).with_rotation(pose.bevy_rotation())
}

/// Bevy projection that maps points to the pixels `intrinsics` gives them.
pub(super) fn camera_projection(intrinsics: &Intrinsics) -> Projection {
    Projection::custom(PinholeProjection {
        intrinsics: *intrinsics,
        near: NEAR_PLANE_M,
    })
}
