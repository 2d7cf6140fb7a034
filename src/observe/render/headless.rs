//! The headless renderer: a windowless Bevy app that is updated by hand, once per capture.
//!
//! Each view renders twice from the same pose and projection (see `views`): PBR meshes into a
//! colour image and unlit duplicates into an id/depth image. Identical geometry and matrices
//! rasterise to identical pixels, so depth and ids line up with the colour pixels. Both images
//! are copied to the CPU with Bevy's [`Readback`] in the same update that extracted the new
//! poses, so a frame never shows an older world state.

use std::path::PathBuf;

use bevy::app::{PluginsState, SubApps};
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::render::gpu_readback::Readback;
use bevy::render::pipelined_rendering::PipelinedRenderingPlugin;
use bevy::render::render_resource::PollType;
use bevy::render::renderer::RenderDevice;
use bevy::window::ExitCondition;
use bevy::winit::WinitPlugin;
use tracing::{debug, info};

use super::bodies::{BodyPose, VisualBody};
use super::readback::{
    Pass, ReadbackRequest, ReadbackStore, decode_color, decode_id_depth, store_readback,
};
use super::spawn::{BodyPasses, VisualBodyPlugin, spawn_visual_body};
use super::views::{View, camera_projection, camera_transform, spawn_view};
use super::{RenderError, adapter, lights};
use crate::observe::camera::{CameraModel, CameraPose, Intrinsics};
use crate::observe::frame::Frame;
use crate::scene::{ImageSize, Light, Rgb};

/// Updates pumped after a render before a missing readback counts as lost.
const MAX_READBACK_UPDATES: u32 = 8;
/// Warm-up frames always allowed for shaders to load and pipelines to compile.
const MIN_WARM_UP_FRAMES: u32 = 30;
/// Wall time allowed for warm-up beyond those frames, a generous bound. At a load average of
/// 11, 30 frames once passed before the shaders had loaded.
const WARM_UP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Renderer configuration besides the bodies.
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

/// Raw readback bytes of one view, with rows padded as wgpu copies them.
#[derive(PartialEq)]
struct ViewReadback {
    color: Vec<u8>,
    id_depth: Vec<u8>,
}

impl Renderer {
    /// Checks for a graphics adapter, builds the Bevy app, spawns `bodies` and renders until
    /// shaders and pipelines are ready.
    pub fn new(settings: RenderSettings, bodies: &[VisualBody]) -> Result<Renderer, RenderError> {
        let adapter = adapter::find_adapter()?;
        info!(
            %adapter,
            width = settings.size.width,
            height = settings.size.height,
            "starting headless renderer"
        );

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
            self.check_image_size(camera_id, &camera.intrinsics)?;
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
            .map(|((camera_id, camera), readback)| {
                let (depth, instances) = decode_id_depth(&readback.id_depth, width, height);
                Frame {
                    step,
                    time_s,
                    camera_id: camera_id.clone(),
                    camera: *camera,
                    rgb: decode_color(&readback.color, width, height),
                    depth,
                    instances,
                }
            })
            .collect();
        Ok(frames)
    }

    /// Renders one frame per camera and returns the raw colour and id/depth readbacks.
    fn render_views(&mut self, cameras: &[CameraModel]) -> Result<Vec<ViewReadback>, RenderError> {
        let added_views = self.ensure_views(cameras.len());
        for (index, camera) in cameras.iter().enumerate() {
            self.place_view(index, camera);
        }
        self.set_active_views(cameras.len());
        if added_views {
            // New views get their GPU resources prepared in one plain frame first.
            self.update()?;
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
                requests.push(
                    world
                        .spawn((Readback::texture(image.clone()), request))
                        .id(),
                );
            }
        }

        // This update extracts the new poses, renders them and copies the targets. The copies
        // reach the main world during the extraction of a later update.
        let arrived = self.render_and_wait(&requests);
        let world = self.app.main.world_mut();
        for entity in requests {
            world.despawn(entity);
        }
        arrived?;

        let mut store = std::mem::take(&mut world.resource_mut::<ReadbackStore>().0);
        let images = (0..cameras.len())
            .map(|index| {
                let color = store
                    .remove(&(index, Pass::Color))
                    .expect("render_and_wait returned after every readback arrived");
                let id_depth = store
                    .remove(&(index, Pass::IdDepth))
                    .expect("render_and_wait returned after every readback arrived");
                ViewReadback { color, id_depth }
            })
            .collect();
        Ok(images)
    }

    /// Renders one frame with the readback `requests` attached, then pumps updates with every
    /// camera off until all readbacks have arrived.
    fn render_and_wait(&mut self, requests: &[Entity]) -> Result<(), RenderError> {
        self.update()?;
        let world = self.app.main.world_mut();
        for &entity in requests {
            world.entity_mut(entity).remove::<Readback>();
        }
        self.set_active_views(0);

        let mut updates = 0;
        while self.app.main.world().resource::<ReadbackStore>().0.len() < requests.len() {
            if updates == MAX_READBACK_UPDATES {
                return Err(RenderError::ReadbackTimedOut { updates });
            }
            self.update()?;
            updates += 1;
        }
        debug!(updates, "readbacks arrived");
        Ok(())
    }

    /// Runs one update of the main and render apps and waits for the GPU to finish it.
    fn update(&mut self) -> Result<(), RenderError> {
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
            .map_err(|error| RenderError::DevicePoll {
                reason: error.to_string(),
            })?;
        Ok(())
    }

    fn check_image_size(&self, camera_id: &str, k: &Intrinsics) -> Result<(), RenderError> {
        if (k.width, k.height) == (self.size.width, self.size.height) {
            return Ok(());
        }
        Err(RenderError::ImageSize {
            camera_id: camera_id.to_owned(),
            width: k.width,
            height: k.height,
            expected_width: self.size.width,
            expected_height: self.size.height,
        })
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
            *camera_entity
                .get_mut::<Transform>()
                .expect("cameras have a Transform") = transform;
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

    /// Renders the bodies at their spawn poses from a camera aimed at the origin until two
    /// consecutive frames agree and, if there are bodies, ids appear. The embedded id/depth
    /// shader loads asynchronously, so the first frames can miss it.
    fn warm_up(&mut self) -> Result<(), RenderError> {
        let size = self.size;
        let camera = CameraModel {
            intrinsics: Intrinsics::from_vertical_fov(size, 60f32.to_radians()),
            pose: CameraPose::look_at(Vec3::new(2.0, -1.5, 1.5), Vec3::ZERO),
        };
        let mut previous: Option<ViewReadback> = None;
        let started = std::time::Instant::now();
        let mut frames = 0;
        // Shaders load asynchronously, so on a busy machine many fast frames can pass before
        // the id/depth pass draws anything. Warm-up therefore waits for the frames and the time.
        while frames < MIN_WARM_UP_FRAMES || started.elapsed() < WARM_UP_TIMEOUT {
            let images = self.render_views(&[camera])?.remove(0);
            frames += 1;
            let (_, ids) = decode_id_depth(&images.id_depth, size.width, size.height);
            let ids_ready = self.bodies.is_empty() || ids.data.iter().any(|&id| id != 0);
            if ids_ready && previous.as_ref() == Some(&images) {
                debug!(frames, "renderer warmed up");
                return Ok(());
            }
            previous = Some(images);
        }
        Err(RenderError::WarmUpTimedOut {
            updates: frames,
            seconds: WARM_UP_TIMEOUT.as_secs(),
        })
    }
}
