//! Seeded random scenes: a table or a shelf unit, 3 to 6 objects with random attributes, and
//! two camera views of them.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::attributes::{
    COLOUR_JITTER, COLOURS, Finish, HeldOut, NamedColour, ObjectAttributes, Placement, ShapeKind,
    SizeClass,
};
use super::look::Look;
use super::supports::{
    BOARD_IDS, BOARD_SIZE, BOARD_Y_REGION, SHELF_CENTRE_X, TABLE_REGION, shelf_supports,
    tabletop_supports,
};
use super::views::{ViewSampling, sample_views};
use crate::observe::CameraModel;
use crate::scene::{ImageSize, Layout, Material, Object, Robot, Scene, SceneKind};

/// Objects per scene, inclusive.
pub const MIN_OBJECTS: usize = 3;
pub const MAX_OBJECTS: usize = 6;
/// Half-width of the uniform per-dimension jitter applied on top of the size class scale.
const SCALE_JITTER: f32 = 0.1;
/// Free gap kept between the footprints of two objects, metres.
const OBJECT_GAP_M: f32 = 0.01;
/// Position draws per object before the object's attributes are drawn again.
const PLACEMENT_TRIES: usize = 60;
/// Object sets drawn per scene before generation gives up.
const OBJECT_SET_TRIES: usize = 40;
/// Share of test scenes that get at least one held-out combination on purpose.
pub const TEST_HELD_OUT_SHARE: f64 = 0.85;
/// Metalness of metallic objects. Fully metallic surfaces render almost black because the
/// renderer has no environment map, so they stay partly dielectric, as the shipped red can.
const METALLIC_RANGE: (f32, f32) = (0.5, 0.7);
/// Path of the box texture, relative to the assets directory.
pub const CARDBOARD_TEXTURE: &str = "textures/cardboard.png";

/// Whether a scene belongs to the training or the test split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "test",
        }
    }
}

/// Settings of the generator.
#[derive(Debug, Clone)]
pub struct GeneratorConfig {
    pub seed: u64,
    pub size: ImageSize,
    /// Probability that a scene is a test scene.
    pub test_share: f64,
    pub held_out: Vec<HeldOut>,
    /// Textures a table may get, relative to the assets directory.
    pub table_textures: Vec<String>,
}

/// One generated scene with its split, object attributes and two views.
#[derive(Debug, Clone)]
pub struct GeneratedScene {
    pub index: usize,
    pub split: Split,
    pub scene: Scene,
    /// Attributes of `scene.objects[i]`, in the same order.
    pub attributes: Vec<ObjectAttributes>,
    pub layout: Layout,
    /// View 0, and view 1 = view 0 moved by an orbit step around the same point.
    pub views: [CameraModel; 2],
}

/// Errors of scene generation.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(
        "every colour and shape combination is held out, so train scenes cannot have objects; \
         pass fewer --held-out combinations"
    )]
    NothingToTrainOn,
    #[error(
        "scene {index} found no object set that fits its supports and stays in view after \
         {tries} tries; this is a generator bug, please report the seed"
    )]
    NoFit { index: usize, tries: usize },
}

/// Random generator of scene `index`: its own ChaCha8 stream of the dataset seed, so a scene
/// does not depend on how many scenes come before it.
pub fn scene_rng(seed: u64, index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index as u64);
    rng
}

/// Generates scene `index` of the dataset, drawn with `look`'s lights and background.
pub fn generate_scene(
    config: &GeneratorConfig,
    index: usize,
    look: &Look,
) -> Result<GeneratedScene, GenerateError> {
    let mut rng = scene_rng(config.seed, index);
    let split = if rng.random_bool(config.test_share) {
        Split::Test
    } else {
        Split::Train
    };
    let allowed = allowed_combinations(split, &config.held_out);
    if allowed.is_empty() {
        return Err(GenerateError::NothingToTrainOn);
    }
    let kind = if rng.random_bool(0.5) {
        SceneKind::Tabletop
    } else {
        SceneKind::WarehouseShelves
    };
    let supports = match kind {
        SceneKind::Tabletop => tabletop_supports(&mut rng, &config.table_textures),
        SceneKind::WarehouseShelves => shelf_supports(&mut rng),
    };

    for _ in 0..OBJECT_SET_TRIES {
        let count = rng.random_range(MIN_OBJECTS..=MAX_OBJECTS);
        let force_held_out = split == Split::Test
            && !config.held_out.is_empty()
            && rng.random_bool(TEST_HELD_OUT_SHARE);
        let Some((objects, attributes)) = place_objects(
            &mut rng,
            kind,
            count,
            &allowed,
            force_held_out.then_some(&config.held_out),
        ) else {
            continue;
        };
        let scene = Scene {
            name: format!("dataset_{index:06}"),
            kind,
            instruction: format!(
                "pick up the {} {}",
                attributes[0].colour.name,
                attributes[0].shape.name()
            ),
            target: objects[0].id.clone(),
            time_limit_s: 20.0,
            seed: config.seed,
            robot: Robot::default(),
            supports: supports.clone(),
            objects,
            lights: look.lights.clone(),
            cameras: Vec::new(),
            view: "v0".to_owned(),
            background: look.background,
            rates: Default::default(),
            image: config.size,
        };
        let layout = Layout::sample(&scene, 0);
        let sampling = match kind {
            SceneKind::Tabletop => ViewSampling::TABLETOP,
            SceneKind::WarehouseShelves => ViewSampling::SHELVES,
        };
        if let Some(views) = sample_views(&mut rng, &sampling, &layout, config.size) {
            return Ok(GeneratedScene {
                index,
                split,
                scene,
                attributes,
                layout,
                views,
            });
        }
    }
    Err(GenerateError::NoFit {
        index,
        tries: OBJECT_SET_TRIES,
    })
}

/// Colour and shape combinations objects of `split` may have.
fn allowed_combinations(
    split: Split,
    held_out: &[HeldOut],
) -> Vec<(&'static NamedColour, ShapeKind)> {
    let mut allowed = Vec::new();
    for colour in &COLOURS {
        for shape in ShapeKind::ALL {
            let combination = HeldOut {
                colour: colour.name,
                shape,
            };
            if split == Split::Test || !held_out.contains(&combination) {
                allowed.push((colour, shape));
            }
        }
    }
    allowed
}

/// Draws `count` non-overlapping objects. With `held_out` set, the first object is a held-out
/// combination. Returns `None` when an object found no free spot.
fn place_objects(
    rng: &mut ChaCha8Rng,
    kind: SceneKind,
    count: usize,
    allowed: &[(&'static NamedColour, ShapeKind)],
    held_out: Option<&Vec<HeldOut>>,
) -> Option<(Vec<Object>, Vec<ObjectAttributes>)> {
    let mut objects: Vec<Object> = Vec::with_capacity(count);
    let mut attributes = Vec::with_capacity(count);
    // Footprint centre and radius of each placed object, per support id.
    let mut placed: Vec<(String, [f32; 2], f32)> = Vec::new();

    for object_index in 0..count {
        let (colour, shape) = match held_out {
            Some(combinations) if object_index == 0 => {
                let combination = combinations[rng.random_range(0..combinations.len())];
                let colour = super::attributes::colour_by_name(combination.colour)
                    .expect("held-out colours are parsed from the colour list");
                (colour, combination.shape)
            }
            _ => allowed[rng.random_range(0..allowed.len())],
        };
        let size = SizeClass::ALL[rng.random_range(0..SizeClass::ALL.len())];
        let finishes = Finish::choices(shape);
        let finish = finishes[rng.random_range(0..finishes.len())];
        let scale = size.scale() * (1.0 + rng.random_range(-SCALE_JITTER..=SCALE_JITTER));
        let scene_shape = shape.scene_shape(scale);
        let radius = scene_shape.footprint_radius();
        let (placement, support_id, x_range, y_range) = match kind {
            SceneKind::Tabletop => (Placement::Table, "table", TABLE_REGION.0, TABLE_REGION.1),
            SceneKind::WarehouseShelves => {
                let level = rng.random_range(0..Placement::SHELVES.len());
                let half_x = 0.5 * BOARD_SIZE[0];
                let half_y = BOARD_Y_REGION;
                (
                    Placement::SHELVES[level],
                    BOARD_IDS[level],
                    [SHELF_CENTRE_X - half_x, SHELF_CENTRE_X + half_x],
                    [-half_y, half_y],
                )
            }
        };
        let x_range = [x_range[0] + radius, x_range[1] - radius];
        let y_range = [y_range[0] + radius, y_range[1] - radius];
        if x_range[0] >= x_range[1] || y_range[0] >= y_range[1] {
            return None;
        }

        let mut spot = None;
        for _ in 0..PLACEMENT_TRIES {
            let xy = [
                rng.random_range(x_range[0]..=x_range[1]),
                rng.random_range(y_range[0]..=y_range[1]),
            ];
            let free = placed
                .iter()
                .all(|(other_support, other_xy, other_radius)| {
                    other_support != support_id
                        || (xy[0] - other_xy[0]).hypot(xy[1] - other_xy[1])
                            >= radius + other_radius + OBJECT_GAP_M
                });
            if free {
                spot = Some(xy);
                break;
            }
        }
        let xy = spot?;
        placed.push((support_id.to_owned(), xy, radius));

        let color = colour.srgb.map(|channel| {
            (channel + rng.random_range(-COLOUR_JITTER..=COLOUR_JITTER)).clamp(0.0, 1.0)
        });
        let material = match finish {
            Finish::Matte => Material {
                color,
                roughness: rng.random_range(0.75..=0.95),
                metallic: 0.0,
                texture: None,
            },
            Finish::Shiny => Material {
                color,
                roughness: rng.random_range(0.15..=0.3),
                metallic: 0.0,
                texture: None,
            },
            Finish::Metallic => Material {
                color,
                roughness: rng.random_range(0.3..=0.45),
                metallic: rng.random_range(METALLIC_RANGE.0..=METALLIC_RANGE.1),
                texture: None,
            },
            Finish::Cardboard => Material {
                color,
                roughness: 0.9,
                metallic: 0.0,
                texture: Some(CARDBOARD_TEXTURE.to_owned()),
            },
        };
        objects.push(Object {
            id: format!("o{object_index}"),
            shape: scene_shape,
            material,
            on: support_id.to_owned(),
            xy,
            yaw_deg: rng.random_range(0.0..360.0),
            jitter: None,
            mass_kg: None,
        });
        attributes.push(ObjectAttributes {
            shape,
            colour,
            size,
            finish,
            placement,
        });
    }
    Some((objects, attributes))
}
