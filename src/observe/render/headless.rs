//! The headless renderer: a windowless Bevy app that is updated by hand, once per capture.
//!
//! Each view has two cameras with the same pose and projection: a colour camera on
//! [`COLOR_LAYER`] that renders the PBR meshes into an `Rgba8UnormSrgb` image, and an id/depth
//! camera on [`ID_DEPTH_LAYER`] that renders unlit duplicates into an `Rgba32Float` image.
//! Identical geometry and matrices rasterise to identical pixels, so depth and ids line up with
//! the colour pixels. Both images are copied to the CPU with Bevy's [`Readback`] in the same
//! update that extracted the new poses, so a frame never shows an older world state.

use std::collections::HashMap;
use std::path::PathBuf;

use bevy::app::{PluginsState, SubApps};
use bevy::asset::RenderAssetUsages;
use bevy::camera::visibility::RenderLayers;
use bevy::camera::{ClearColorConfig, PerspectiveProjection, Projection, RenderTarget};
use bevy::core_pipeline::tonemapping::{DebandDither, Tonemapping};
use bevy::image::Image;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::gpu_readback::{Readback, ReadbackComplete};
use bevy::render::pipelined_rendering::PipelinedRenderingPlugin;
use bevy::render::render_resource::{
    Extent3d, PollType, TextureDimension, TextureFormat, TextureUsages,
};
use bevy::render::renderer::RenderDevice;
use bevy::render::view::Msaa;
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use tracing::{debug, info};

use super::bodies::{BodyPose, VisualBody};
use super::readback::{decode_color, decode_id_depth};
use super::spawn::{
    BodyPasses, COLOR_LAYER, ID_DEPTH_LAYER, VisualBodyPlugin, spawn_visual_body,
};
use super::{RenderError, adapter, lights};
use crate::observe::camera::{CameraModel, CameraPose, Intrinsics};
use crate::observe::frame::Frame;
use crate::scene::{ImageSize, Light, Rgb};

/// Distance of the near clipping plane, metres. Wrist cameras see the gripper from a few
/// centimetres away.
const NEAR_PLANE_M: f32 = 0.01;
/// Updates pumped after a render before a missing readback counts as lost.
const MAX_READBACK_UPDATES: u32 = 8;
/// Warm-up frames allowed for shaders to load and pipelines to compile.
const MAX_WARM_UP_FRAMES: u32 = 30;
/// Allowed deviation from square pixels and a centred principal point, pixels.
const INTRINSICS_TOLERANCE_PX: f32 = 1e-2;

/// What the renderer needs besides the bodies.
#[derive(Debug, Clone)]
pub struct RenderSettings {
    /// Size of every captured image.
    pub size: ImageSize,
    /// sRGB colour of pixels that show no geometry.
    pub background: Rgb,
    pub lights: Vec<Light>,
    /// Directory that material texture paths are relative to.
    pub assets_dir: PathBuf,
}

/// Renders RGB, metric depth and instance ids of a fixed set of bodies at given poses.
pub struct Renderer {
    app: SubApps,
    size: ImageSize,
    bodies: Vec<Entity>,
    views: Vec<View>,
}

/// The two cameras and target images of one view.
struct View {
    color_camera: Entity,
    id_depth_camera: Entity,
    color_image: Handle<Image>,
    id_depth_image: Handle<Image>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Pass {
    Color,
    IdDepth,
}

/// Marks a readback entity with the view and pass it copies.
#[derive(Component, Debug, Clone, Copy)]
struct ReadbackRequest {
    view: usize,
    pass: Pass,
}

/// Readback bytes received for the current capture, by view and pass.
#[derive(Resource, Default)]
struct ReadbackStore(HashMap<(usize, Pass), Vec<u8>>);

fn store_readback(
    event: On<ReadbackComplete>,
    requests: Query<&ReadbackRequest>,
    mut store: ResMut<ReadbackStore>,
) {
    if let Ok(request) = requests.get(event.entity) {
        store
            .0
            .insert((request.view, request.pass), event.data.clone());
    }
}

impl Renderer {
    /// Checks for a graphics adapter, builds the Bevy app, spawns `bodies` and renders until
    /// shaders and pipelines are ready.
    pub fn new(settings: RenderSettings, bodies: &[VisualBody]) -> Result<Renderer, RenderError> {
        let adapter = adapter::find_adapter()?;
        info!(%adapter, width = settings.size.width, height = settings.size.height, "starting headless renderer");

        let mut app = App::new();
        app.add_plugins(
            DefaultPlugins
                .set(WindowPlugin {
                    primary_window: None,
                    exit_condition: ExitCondition::DontExit,
                    ..default()
                })
                .set(RenderPlugin {
                    synchronous_pipeline_compilation: true,
                    ..default()
                })
                .disable::<WinitPlugin>()
                .disable::<PipelinedRenderingPlugin>()
                .disable::<bevy::app::TerminalCtrlCHandlerPlugin>(),
        )
        .add_plugins(VisualBodyPlugin)
        .init_resource::<ReadbackStore>()
        .add_observer(store_readback);

        while app.plugins_state() == PluginsState::Adding {
            bevy::tasks::tick_global_task_pools_on_main_thread();
        }
        app.finish();
        app.cleanup();

        let world = app.world_mut();
        lights::spawn_lights(world, &settings.lights);
        let mut body_entities = Vec::with_capacity(bodies.len());
        for body in bodies {
            body_entities.push(spawn_visual_body(
                world,
                body,
                &settings.assets_dir,
                BodyPasses::ColorAndIdDepth,
            )?);
        }

        let mut renderer = Renderer {
            app: std::mem::take(app.sub_apps_mut()),
            size: settings.size,
            bodies: body_entities,
            views: Vec::new(),
        };
        renderer.set_background(settings.background);
        renderer.warm_up()?;
        Ok(renderer)
    }

    /// Renders every camera at the given body poses and returns one frame per camera, in the
    /// order of `cameras`.
    ///
    /// `poses` has one entry per body passed to [`Renderer::new`], in the same order. `step`
    /// and `time_s` are copied into the frames.
    pub fn capture(
        &mut self,
        poses: &[BodyPose],
        cameras: &[(String, CameraModel)],
        step: u64,
        time_s: f32,
    ) -> Result<Vec<Frame>, RenderError> {
        if poses.len() != self.bodies.len() {
            return Err(RenderError::PoseCount {
                poses: poses.len(),
                bodies: self.bodies.len(),
            });
        }
        for (camera_id, camera) in cameras {
            self.check_intrinsics(camera_id, &camera.intrinsics)?;
        }

        let world = self.app.main.world_mut();
        for (&entity, pose) in self.bodies.iter().zip(poses) {
            *world
                .get_mut::<Transform>(entity)
                .expect("body roots have a Transform") =
                Transform::from_translation(pose.position).with_rotation(pose.rotation);
        }

        let models: Vec<CameraModel> = cameras.iter().map(|(_, camera)| *camera).collect();
        let images = self.render_views(&models)?;

        let (width, height) = (self.size.width, self.size.height);
        let frames = cameras
            .iter()
            .zip(images)
            .map(|((camera_id, camera), (color, id_depth))| {
                let (depth, instances) = decode_id_depth(&id_depth, width, height);
                Frame {
                    step,
                    time_s,
                    camera_id: camera_id.clone(),
                    camera: *camera,
                    rgb: decode_color(&color, width, height),
                    depth,
                    instances,
                }
            })
            .collect();
        Ok(frames)
    }

    /// Renders one frame per camera and returns the raw colour and id/depth readbacks.
    fn render_views(
        &mut self,
        cameras: &[CameraModel],
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, RenderError> {
        let added_views = self.ensure_views(cameras.len());
        for (index, camera) in cameras.iter().enumerate() {
            self.place_view(index, camera);
        }
        self.set_active_views(cameras.len());
        if added_views {
            // New views get their GPU resources prepared in one plain frame first.
            self.update();
        }

        let world = self.app.main.world_mut();
        world.resource_mut::<ReadbackStore>().0.clear();
        let mut requests = Vec::with_capacity(2 * cameras.len());
        for (index, view) in self.views.iter().take(cameras.len()).enumerate() {
            for (pass, image) in [
                (Pass::Color, &view.color_image),
                (Pass::IdDepth, &view.id_depth_image),
            ] {
                let request = ReadbackRequest { view: index, pass };
                requests.push(world.spawn((Readback::texture(image.clone()), request)).id());
            }
        }

        // This update extracts the new poses, renders them and copies the targets. The copies
        // reach the main world during the extraction of a later update.
        self.update();
        let world = self.app.main.world_mut();
        for &entity in &requests {
            world.entity_mut(entity).remove::<Readback>();
        }
        self.set_active_views(0);

        let expected = requests.len();
        let mut updates = 0;
        while self.app.main.world().resource::<ReadbackStore>().0.len() < expected {
            if updates == MAX_READBACK_UPDATES {
                return Err(RenderError::ReadbackTimedOut { updates });
            }
            self.update();
            updates += 1;
        }
        debug!(updates, "readbacks arrived");

        let world = self.app.main.world_mut();
        for entity in requests {
            world.despawn(entity);
        }
        let mut store = std::mem::take(&mut world.resource_mut::<ReadbackStore>().0);
        let images = (0..cameras.len())
            .map(|index| {
                let color = store.remove(&(index, Pass::Color)).expect("checked above");
                let id_depth = store.remove(&(index, Pass::IdDepth)).expect("checked above");
                (color, id_depth)
            })
            .collect();
        Ok(images)
    }

    /// Runs one update of the main and render apps and waits for the GPU to finish it.
    fn update(&mut self) {
        self.app.update();
        self.app
            .main
            .world()
            .resource::<RenderDevice>()
            .wgpu_device()
            .poll(PollType::Wait {
                submission_index: None,
                timeout: None,
            })
            .expect("polling the render device failed");
    }

    fn check_intrinsics(&self, camera_id: &str, k: &Intrinsics) -> Result<(), RenderError> {
        if (k.width, k.height) != (self.size.width, self.size.height) {
            return Err(RenderError::ImageSize {
                camera_id: camera_id.to_owned(),
                width: k.width,
                height: k.height,
                expected_width: self.size.width,
                expected_height: self.size.height,
            });
        }
        // TODO: support off-centre principal points and non-square pixels with a custom
        // `CameraProjection` built from the full intrinsic matrix.
        let unsupported = |reason: String| RenderError::UnsupportedIntrinsics {
            camera_id: camera_id.to_owned(),
            reason,
        };
        if (k.fx - k.fy).abs() > INTRINSICS_TOLERANCE_PX {
            return Err(unsupported(format!(
                "fx = {} and fy = {} differ; only square pixels are supported",
                k.fx, k.fy
            )));
        }
        let (centre_x, centre_y) = (0.5 * k.width as f32, 0.5 * k.height as f32);
        if (k.cx - centre_x).abs() > INTRINSICS_TOLERANCE_PX
            || (k.cy - centre_y).abs() > INTRINSICS_TOLERANCE_PX
        {
            return Err(unsupported(format!(
                "principal point ({}, {}) is not the image centre ({centre_x}, {centre_y})",
                k.cx, k.cy
            )));
        }
        Ok(())
    }

    /// Creates views up to `count`; returns whether any was added.
    fn ensure_views(&mut self, count: usize) -> bool {
        let added = count > self.views.len();
        while self.views.len() < count {
            let view = spawn_view(self.app.main.world_mut(), self.size, self.views.len());
            self.views.push(view);
        }
        added
    }

    fn place_view(&mut self, index: usize, camera: &CameraModel) {
        let transform = camera_transform(&camera.pose);
        let projection = camera_projection(&camera.intrinsics);
        let view = &self.views[index];
        let world = self.app.main.world_mut();
        for entity in [view.color_camera, view.id_depth_camera] {
            let mut camera_entity = world.entity_mut(entity);
            *camera_entity.get_mut::<Transform>().expect("cameras have a Transform") = transform;
            *camera_entity
                .get_mut::<Projection>()
                .expect("cameras have a Projection") = projection.clone();
        }
    }

    /// Activates the first `count` views and deactivates the rest.
    fn set_active_views(&mut self, count: usize) {
        let world = self.app.main.world_mut();
        for (index, view) in self.views.iter().enumerate() {
            for entity in [view.color_camera, view.id_depth_camera] {
                let mut camera = world.get_mut::<Camera>(entity).expect("view cameras exist");
                camera.is_active = index < count;
            }
        }
    }

    fn set_background(&mut self, [r, g, b]: Rgb) {
        self.app
            .main
            .world_mut()
            .insert_resource(ClearColor(Color::srgb(r, g, b)));
    }

    /// Renders the bodies at their spawn poses from a camera that sees the origin until two
    /// consecutive frames agree and, if there are bodies, ids appear. The embedded id/depth
    /// shader loads asynchronously, so the first frames can miss it.
    fn warm_up(&mut self) -> Result<(), RenderError> {
        let size = self.size;
        let camera = CameraModel {
            intrinsics: Intrinsics::from_vertical_fov(size, 60f32.to_radians()),
            pose: CameraPose::look_at(Vec3::new(2.0, -1.5, 1.5), Vec3::ZERO),
        };
        let mut previous: Option<(Vec<u8>, Vec<u8>)> = None;
        for frame in 0..MAX_WARM_UP_FRAMES {
            let images = self.render_views(&[camera])?.remove(0);
            let (_, ids) = decode_id_depth(&images.1, size.width, size.height);
            let ids_ready = self.bodies.is_empty() || ids.data.iter().any(|&id| id != 0);
            if ids_ready && previous.as_ref() == Some(&images) {
                debug!(frames = frame + 1, "renderer warmed up");
                return Ok(());
            }
            previous = Some(images);
        }
        Err(RenderError::WarmUpTimedOut {
            updates: MAX_WARM_UP_FRAMES,
        })
    }
}

fn spawn_view(world: &mut World, size: ImageSize, index: usize) -> View {
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
            Projection::Perspective(PerspectiveProjection::default()),
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
            Projection::Perspective(PerspectiveProjection::default()),
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

/// An image that cameras render into and readbacks copy from.
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

fn camera_transform(pose: &CameraPose) -> Transform {
    Transform::from_translation(pose.position).with_rotation(pose.bevy_rotation())
}

/// Bevy projection with the vertical field of view and aspect ratio of `intrinsics`.
fn camera_projection(intrinsics: &Intrinsics) -> Projection {
    let height = intrinsics.height as f32;
    Projection::Perspective(PerspectiveProjection {
        fov: 2.0 * (0.5 * height / intrinsics.fy).atan(),
        aspect_ratio: intrinsics.width as f32 / height,
        near: NEAR_PLANE_M,
        ..default()
    })
}
