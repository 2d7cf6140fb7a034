//! Spawning [`VisualBody`]s as Bevy entities: PBR meshes for the colour image and, optionally,
//! unlit duplicates on another render layer that write instance ids and depth.
//!
//! The headless renderer uses [`VisualBodyPlugin`] and [`spawn_visual_body`], and an on-screen
//! window can reuse them with [`BodyPasses::Color`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bevy::asset::{RenderAssetUsages, embedded_asset};
use bevy::camera::visibility::RenderLayers;
use bevy::color::Color;
use bevy::image::Image;
use bevy::pbr::{Material, MaterialPlugin, MeshMaterial3d, StandardMaterial};
use bevy::prelude::*;
use bevy::render::render_resource::{AsBindGroup, Extent3d, TextureDimension, TextureFormat};
use bevy::shader::ShaderRef;

use super::RenderError;
use super::bodies::VisualBody;
use super::meshes::geometry_meshes;
use crate::scene::Material as SceneMaterial;

/// Render layer of the PBR meshes seen by colour cameras (Bevy's default layer).
pub const COLOR_LAYER: usize = 0;
/// Render layer of the id/depth duplicates seen by id/depth cameras.
pub const ID_DEPTH_LAYER: usize = 1;

const ID_DEPTH_SHADER: &str = "embedded://pickloop/observe/render/id_depth.wgsl";

/// Registers the id/depth material and its embedded shader.
pub struct VisualBodyPlugin;

impl Plugin for VisualBodyPlugin {
    fn build(&self, app: &mut App) {
        embedded_asset!(app, "id_depth.wgsl");
        app.add_plugins(MaterialPlugin::<IdDepthMaterial>::default())
            .init_resource::<TextureCache>();
    }
}

/// Unlit material writing `(instance id, view depth, 0, 1)`; see `id_depth.wgsl`.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct IdDepthMaterial {
    #[uniform(0)]
    pub instance_id: u32,
}

impl Material for IdDepthMaterial {
    fn fragment_shader() -> ShaderRef {
        ShaderRef::Path(ID_DEPTH_SHADER.into())
    }

    fn enable_prepass() -> bool {
        false
    }

    fn enable_shadows() -> bool {
        false
    }
}

/// Marks the root entity of a spawned [`VisualBody`].
#[derive(Component, Debug, Clone, Copy)]
pub struct VisualBodyRoot {
    pub instance_id: u16,
}

/// Textures already loaded, by path, so that bodies sharing a texture share one image.
#[derive(Resource, Default)]
struct TextureCache(HashMap<PathBuf, Handle<Image>>);

/// Render passes that a spawned body takes part in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyPasses {
    /// PBR meshes only (an on-screen window).
    Color,
    /// PBR meshes and id/depth duplicates (the headless renderer).
    ColorAndIdDepth,
}

/// Spawns `body` as a root entity at the origin with one child per mesh and pass, and returns
/// the root. Textures are read from `assets_dir` with the `image` crate.
///
/// `World` must contain the assets registered by [`VisualBodyPlugin`] and Bevy's PBR plugin.
pub fn spawn_visual_body(
    world: &mut World,
    body: &VisualBody,
    assets_dir: &Path,
    passes: BodyPasses,
) -> Result<Entity, RenderError> {
    let instance_id = body.kind.instance_id();
    let mut children = Vec::new();

    for part in &body.parts {
        let part_transform =
            Transform::from_translation(part.position).with_rotation(part.rotation);
        let color_material = standard_material(world, &part.material, assets_dir)?;
        let id_material = world
            .resource_mut::<Assets<IdDepthMaterial>>()
            .add(IdDepthMaterial {
                instance_id: u32::from(instance_id),
            });

        for (mesh, mesh_transform) in geometry_meshes(&part.geometry) {
            let transform = part_transform * mesh_transform;
            let mesh = world.resource_mut::<Assets<Mesh>>().add(mesh);
            children.push(
                world
                    .spawn((
                        Mesh3d(mesh.clone()),
                        MeshMaterial3d(color_material.clone()),
                        transform,
                        RenderLayers::layer(COLOR_LAYER),
                    ))
                    .id(),
            );
            if passes == BodyPasses::ColorAndIdDepth {
                children.push(
                    world
                        .spawn((
                            Mesh3d(mesh),
                            MeshMaterial3d(id_material.clone()),
                            transform,
                            RenderLayers::layer(ID_DEPTH_LAYER),
                        ))
                        .id(),
                );
            }
        }
    }

    let root = world
        .spawn((
            VisualBodyRoot { instance_id },
            Transform::IDENTITY,
            Visibility::default(),
        ))
        .add_children(&children)
        .id();
    Ok(root)
}

fn standard_material(
    world: &mut World,
    material: &SceneMaterial,
    assets_dir: &Path,
) -> Result<Handle<StandardMaterial>, RenderError> {
    let texture = match &material.texture {
        Some(relative) => Some(load_texture(world, &assets_dir.join(relative))?),
        None => None,
    };
    let [r, g, b] = material.color;
    let standard = StandardMaterial {
        base_color: Color::srgb(r, g, b),
        base_color_texture: texture,
        perceptual_roughness: material.roughness,
        metallic: material.metallic,
        ..default()
    };
    Ok(world
        .resource_mut::<Assets<StandardMaterial>>()
        .add(standard))
}

/// Reads a PNG synchronously into `Assets<Image>`, so the first frame already shows it.
fn load_texture(world: &mut World, path: &Path) -> Result<Handle<Image>, RenderError> {
    if let Some(handle) = world.resource::<TextureCache>().0.get(path) {
        return Ok(handle.clone());
    }
    let pixels = image::open(path)
        .map_err(|source| RenderError::Texture {
            path: path.to_owned(),
            source,
        })?
        .to_rgba8();
    let size = Extent3d {
        width: pixels.width(),
        height: pixels.height(),
        depth_or_array_layers: 1,
    };
    let image = Image::new(
        size,
        TextureDimension::D2,
        pixels.into_raw(),
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    let handle = world.resource_mut::<Assets<Image>>().add(image);
    world
        .resource_mut::<TextureCache>()
        .0
        .insert(path.to_owned(), handle.clone());
    Ok(handle)
}
