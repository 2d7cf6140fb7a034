//! One renderer for a batch of scenes, because starting a Bevy app and compiling its pipelines
//! takes far longer than rendering a frame.
//!
//! The renderer spawns the bodies of every scene in the batch. A capture places the current
//! scene's bodies at their poses and parks all others behind every camera. Instance ids are
//! unique across the batch and mapped back to each scene's own ids (objects from 1, supports
//! from `SUPPORT_ID_BASE`) before the frames are returned.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Instant;

use bevy::math::{Quat, Vec3};
use tracing::debug;

use super::generate::GeneratedScene;
use super::look::Look;
use crate::observe::Frame;
use crate::observe::frame::BACKGROUND_ID;
use crate::observe::render::{
    BodyKind, BodyPose, RenderError, RenderSettings, Renderer, VisualBody, scene_bodies,
    scene_start_poses,
};
use crate::scene::ImageSize;

/// Parking position of other scenes' bodies during a capture: 1 km along -X. Every view
/// looks towards +X with less than 90° of azimuth, so this point is behind every camera.
const PARKED_POSITION: Vec3 = Vec3::new(-1000.0, 0.0, 0.0);

/// Errors of batch rendering.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(
        "scene {index}: a view can see the parking spot of other scenes' bodies at \
         {PARKED_POSITION}; keep view azimuths within 90° of +X"
    )]
    ParkingVisible { index: usize },
    #[error(
        "scene {index}: the id image shows instance id {id}, which belongs to no body of the \
         scene; this is a renderer bug"
    )]
    ForeignInstance { index: usize, id: u16 },
}

/// A renderer that contains the bodies of several scenes.
pub struct BatchRenderer {
    renderer: Renderer,
    /// Per scene of the batch: its range in the body list and its batch-to-scene id map.
    scenes: Vec<(std::ops::Range<usize>, HashMap<u16, u16>)>,
    body_count: usize,
    /// Wall time `Renderer::new` took, seconds.
    pub startup_s: f64,
}

impl BatchRenderer {
    /// Starts a renderer with the bodies of every scene in `scenes`, lit by `look`.
    pub fn new(
        scenes: &[GeneratedScene],
        look: &Look,
        size: ImageSize,
        assets_dir: PathBuf,
    ) -> Result<BatchRenderer, BatchError> {
        let mut bodies: Vec<VisualBody> = Vec::new();
        let mut ranges = Vec::with_capacity(scenes.len());
        let (mut object_offset, mut support_offset) = (0, 0);
        for generated in scenes {
            let start = bodies.len();
            let mut ids = HashMap::new();
            for mut body in scene_bodies(&generated.scene, &generated.layout) {
                let local = body.kind;
                body.kind = match local {
                    BodyKind::Object(index) => BodyKind::Object(object_offset + index),
                    BodyKind::Support(index) => BodyKind::Support(support_offset + index),
                    BodyKind::RobotLink(index) => BodyKind::RobotLink(index),
                };
                ids.insert(body.kind.instance_id(), local.instance_id());
                bodies.push(body);
            }
            object_offset += generated.layout.objects.len();
            support_offset += generated.scene.supports.len();
            ranges.push((start..bodies.len(), ids));
        }

        let settings = RenderSettings {
            size,
            background: look.background,
            lights: look.lights.clone(),
            assets_dir,
        };
        let started = Instant::now();
        let renderer = Renderer::new(settings, &bodies)?;
        let startup_s = started.elapsed().as_secs_f64();
        debug!(bodies = bodies.len(), startup_s, "batch renderer started");
        Ok(BatchRenderer {
            renderer,
            scenes: ranges,
            body_count: bodies.len(),
            startup_s,
        })
    }

    /// Renders views 0 and 1 of scene `position` of the batch (the order given to `new`).
    pub fn capture(
        &mut self,
        position: usize,
        generated: &GeneratedScene,
    ) -> Result<[Frame; 2], BatchError> {
        let index = generated.index;
        if generated
            .views
            .iter()
            .any(|view| view.project(PARKED_POSITION).is_some())
        {
            return Err(BatchError::ParkingVisible { index });
        }
        let (range, ids) = &self.scenes[position];
        let mut poses = vec![BodyPose::new(PARKED_POSITION, Quat::IDENTITY); self.body_count];
        let scene_poses = scene_start_poses(&generated.scene, &generated.layout);
        poses[range.clone()].copy_from_slice(&scene_poses);

        let cameras = [
            ("v0".to_owned(), generated.views[0]),
            ("v1".to_owned(), generated.views[1]),
        ];
        let mut frames = self.renderer.capture(&poses, &cameras, index as u64, 0.0)?;
        for frame in &mut frames {
            for id in &mut frame.instances.data {
                if *id == BACKGROUND_ID {
                    continue;
                }
                *id = *ids
                    .get(id)
                    .ok_or(BatchError::ForeignInstance { index, id: *id })?;
            }
        }
        let second = frames.pop().expect("two cameras give two frames");
        let first = frames.pop().expect("two cameras give two frames");
        Ok([first, second])
    }
}
