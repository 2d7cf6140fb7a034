//! Distractor axes: extra objects on the target's support, of any look but the target's, in
//! the target's colour, or with the target's shape.
//!
//! Each distractor is drawn, then placed at seeded positions on the target's support until
//! the scene validator accepts the scene with it (no overlap with any object or support, fully
//! on the support, target still reachable). Distractor k is drawn from the same random
//! stream whatever the count, so the distractors of count n are the first n of count n + 1.

use anyhow::bail;
use bevy::math::Vec2;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::Step;
use super::colour::{DISTINCT_COLOUR_DISTANCE, PALETTE, colour_distance};
use super::placement;
use crate::scene::{Material, Object, Rgb, Scene, Shape};

/// Placement attempts per distractor before giving up.
pub const MAX_PLACEMENT_TRIES: usize = 200;
/// Prefix of distractor ids; the n-th added to a scene is `distractor_n`, counting from 1.
pub const ID_PREFIX: &str = "distractor_";
/// Seeded size scale of distractors relative to their base size, drawn uniformly.
pub const SIZE_SCALE: (f32, f32) = (0.85, 1.15);
/// Roughness of distractor materials.
pub const DISTRACTOR_ROUGHNESS: f32 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Any shape and palette colour except the target's shape in the target's colour.
    Any,
    /// The target's colour, another shape.
    SameColour,
    /// The target's shape and size, another colour.
    SameShape,
}

/// Base shapes of distractors, sized like household items (metres): they are scaled by
/// [`SIZE_SCALE`]. Bins are left out because they are containers larger than most targets.
fn base_shapes() -> [Shape; 6] {
    [
        Shape::Box {
            size: [0.06, 0.06, 0.08],
        },
        Shape::Cylinder {
            radius: 0.033,
            height: 0.12,
        },
        Shape::Mug {
            radius: 0.04,
            height: 0.1,
        },
        Shape::Bowl {
            radius: 0.07,
            height: 0.05,
        },
        Shape::Ball { radius: 0.035 },
        Shape::Bottle {
            radius: 0.035,
            height: 0.2,
        },
    ]
}

fn scaled(shape: Shape, scale: f32) -> Shape {
    match shape {
        Shape::Box { size } => Shape::Box {
            size: size.map(|v| v * scale),
        },
        Shape::Bin { size, wall } => Shape::Bin {
            size: size.map(|v| v * scale),
            wall,
        },
        Shape::Cylinder { radius, height } => Shape::Cylinder {
            radius: radius * scale,
            height: height * scale,
        },
        Shape::Mug { radius, height } => Shape::Mug {
            radius: radius * scale,
            height: height * scale,
        },
        Shape::Bowl { radius, height } => Shape::Bowl {
            radius: radius * scale,
            height: height * scale,
        },
        Shape::Bottle { radius, height } => Shape::Bottle {
            radius: radius * scale,
            height: height * scale,
        },
        Shape::Ball { radius } => Shape::Ball {
            radius: radius * scale,
        },
    }
}

/// Adds `step.count()` distractors of `kind` to the scene.
// TODO: distractors go only on the target's support, so a full target shelf (the middle board
// of warehouse_shelves) rejects even one, although other boards in view have room.
pub fn add(
    scene: &mut Scene,
    step: &Step<'_>,
    kind: Kind,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<()> {
    let (target, support) = placement::target_and_support(scene)?;
    let (target, support) = (target.clone(), support.clone());
    let existing = placement::problems(scene, &step.context.validation)?;
    if !existing.is_empty() {
        bail!(
            "the scene is invalid before distractors are added; fix it first (run `pickloop scene check`):\n{}",
            placement::listing(&existing)
        );
    }

    for _ in 0..step.count() {
        let id = next_id(scene);
        let (shape, color) = draw_look(&target, kind, rng);
        let mut object = Object {
            id: id.clone(),
            shape,
            material: Material {
                color,
                roughness: DISTRACTOR_ROUGHNESS,
                metallic: 0.0,
                texture: None,
            },
            on: support.id.clone(),
            xy: [0.0, 0.0],
            yaw_deg: rng.random_range(0.0..360.0),
            jitter: target.jitter,
            // The scene's default density of 400 kg/m³ gives the mass.
            mass_kg: None,
        };
        place(scene, &mut object, &support, step, rng)?;
        tracing::debug!(id, shape = shape.kind_name(), xy = ?object.xy, "placed a distractor");
        scene.objects.push(object);
    }
    Ok(())
}

fn next_id(scene: &Scene) -> String {
    (1..)
        .map(|n| format!("{ID_PREFIX}{n}"))
        .find(|id| scene.objects.iter().all(|o| &o.id != id))
        .expect("some distractor number is free")
}

/// Draws the shape and colour of one distractor of `kind`.
fn draw_look(target: &Object, kind: Kind, rng: &mut ChaCha8Rng) -> (Shape, Rgb) {
    let target_kind = target.shape.kind_name();
    let target_colour = target.material.color;
    let other_shapes: Vec<Shape> = base_shapes()
        .into_iter()
        .filter(|s| s.kind_name() != target_kind)
        .collect();
    let other_colours: Vec<Rgb> = PALETTE
        .iter()
        .map(|(_, c)| *c)
        .filter(|c| colour_distance(*c, target_colour) > DISTINCT_COLOUR_DISTANCE)
        .collect();
    let scale = rng.random_range(SIZE_SCALE.0..=SIZE_SCALE.1);
    match kind {
        Kind::SameColour => {
            let shape = other_shapes[rng.random_range(0..other_shapes.len())];
            (scaled(shape, scale), target_colour)
        }
        Kind::SameShape => {
            let colour = other_colours[rng.random_range(0..other_colours.len())];
            (target.shape, colour)
        }
        Kind::Any => {
            let shapes = base_shapes();
            let shape = shapes[rng.random_range(0..shapes.len())];
            let all_colours = PALETTE.map(|(_, c)| c);
            let colours: &[Rgb] = if shape.kind_name() == target_kind {
                &other_colours
            } else {
                &all_colours
            };
            let colour = colours[rng.random_range(0..colours.len())];
            (scaled(shape, scale), colour)
        }
    }
}

/// Draws positions on the support's top face until the validator accepts the scene with
/// `object` added, or fails after [`MAX_PLACEMENT_TRIES`].
fn place(
    scene: &Scene,
    object: &mut Object,
    support: &crate::scene::Support,
    step: &Step<'_>,
    rng: &mut ChaCha8Rng,
) -> anyhow::Result<()> {
    let half = Vec2::new(0.5 * support.size[0], 0.5 * support.size[1]);
    let rotation = Vec2::from_angle(support.yaw_deg.to_radians());
    let centre = Vec2::new(support.position[0], support.position[1]);
    let mut candidate = scene.clone();
    candidate.objects.push(object.clone());
    let last = candidate.objects.len() - 1;
    for _ in 0..MAX_PLACEMENT_TRIES {
        let local = Vec2::new(
            rng.random_range(-half.x..=half.x),
            rng.random_range(-half.y..=half.y),
        );
        let xy = centre + rotation.rotate(local);
        candidate.objects[last].xy = xy.to_array();
        if placement::problems(&candidate, &step.context.validation)?.is_empty() {
            object.xy = xy.to_array();
            return Ok(());
        }
    }
    bail!(
        "{}: found no free place for {} ({}) on support {:?} after {MAX_PLACEMENT_TRIES} tries, \
         with {} objects already on the scene; use a smaller count or a scene with a larger support",
        step.perturbation.label(),
        object.id,
        object.shape.kind_name(),
        support.id,
        scene.objects.len()
    )
}
