//! The scene file schema, deserialised from RON.
//!
//! Conventions shared by every module: the world frame is right-handed with Z up (as in ROS
//! REP-103), lengths are metres, angles in files are degrees, colours are sRGB components in
//! 0..=1, and times are seconds. `docs/scenes.md` documents every field for scene authors.

use serde::{Deserialize, Serialize};

/// A 3-vector in the world frame, metres unless the field name says otherwise.
pub type Vec3 = [f32; 3];
/// An sRGB colour with components in 0..=1.
pub type Rgb = [f32; 3];

/// One scene file: the declarative part of a pick task. The success predicate lives in
/// `episode::grade` and is the same for every scene.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scene {
    /// Short name recorded in evidence rows.
    pub name: String,
    pub kind: SceneKind,
    /// Language instruction handed to perception.
    pub instruction: String,
    /// Id of the object the instruction names. It is ground truth, never passed to perception.
    pub target: String,
    /// Episode time limit in simulated seconds.
    pub time_limit_s: f32,
    /// Base seed; episode `i` of a run uses `seed + i` unless the command line overrides it.
    #[serde(default)]
    pub seed: u64,
    #[serde(default)]
    pub robot: Robot,
    /// Static boxes: table tops, shelf boards, shelf frames, walls.
    pub supports: Vec<Support>,
    pub objects: Vec<Object>,
    #[serde(default = "default_lights")]
    pub lights: Vec<Light>,
    /// Cameras with trajectories. `view` names the one whose frames go to perception.
    pub cameras: Vec<Camera>,
    /// Id of the camera whose frames go to perception.
    pub view: String,
    /// Colour of the background behind everything.
    #[serde(default = "default_background")]
    pub background: Rgb,
    #[serde(default)]
    pub rates: Rates,
    #[serde(default)]
    pub image: ImageSize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SceneKind {
    Tabletop,
    WarehouseShelves,
}

/// Placement and start pose of the arm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Robot {
    /// URDF file, relative to `assets/`.
    #[serde(default = "default_urdf")]
    pub urdf: String,
    /// Position of the arm's base link origin in the world.
    #[serde(default)]
    pub base_position: Vec3,
    /// Rotation of the base about world Z, degrees.
    #[serde(default)]
    pub base_yaw_deg: f32,
    /// Joint positions at the start, radians, one per actuated joint in URDF order. `None`
    /// starts from the URDF's home pose (all zeros clamped into limits).
    #[serde(default)]
    pub start_joints: Option<Vec<f32>>,
}

impl Default for Robot {
    fn default() -> Self {
        Self {
            urdf: default_urdf(),
            base_position: [0.0, 0.0, 0.0],
            base_yaw_deg: 0.0,
            start_joints: None,
        }
    }
}

/// A static axis-aligned (up to yaw) box that objects rest on or that bounds the workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Support {
    pub id: String,
    /// Full extents along the support's own X, Y, Z axes.
    pub size: Vec3,
    /// Centre of the box in the world.
    pub position: Vec3,
    #[serde(default)]
    pub yaw_deg: f32,
    #[serde(default = "default_support_material")]
    pub material: Material,
}

/// Surface appearance. Colour is sRGB; `texture` is a PNG path relative to `assets/` that is
/// multiplied by the colour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Material {
    pub color: Rgb,
    #[serde(default = "default_roughness")]
    pub roughness: f32,
    #[serde(default)]
    pub metallic: f32,
    #[serde(default)]
    pub texture: Option<String>,
}

/// A movable object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    pub id: String,
    pub shape: Shape,
    pub material: Material,
    /// Id of the support the object starts on; its height is derived from that support's top.
    pub on: String,
    /// Nominal position of the object's centre on the support plane, world X and Y.
    pub xy: [f32; 2],
    #[serde(default)]
    pub yaw_deg: f32,
    /// Optional per-episode randomisation around the nominal pose.
    #[serde(default)]
    pub jitter: Option<Jitter>,
    /// Mass in kilograms; `None` derives it from the shape's volume and a 400 kg/m³ density.
    #[serde(default)]
    pub mass_kg: Option<f32>,
}

/// Uniform random offsets drawn per episode from the episode seed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jitter {
    /// Half-width of the uniform offset along X and Y, metres.
    #[serde(default)]
    pub xy_m: f32,
    /// Half-width of the uniform yaw offset, degrees.
    #[serde(default)]
    pub yaw_deg: f32,
}

/// Primitive object shapes. All dimensions are full sizes in metres; the shape's own Z axis is
/// up and its origin is the centre of its bounding box.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Shape {
    Box { size: Vec3 },
    /// A can: a closed cylinder.
    Cylinder { radius: f32, height: f32 },
    /// A cylinder with a handle on its +X side.
    Mug { radius: f32, height: f32 },
    /// An open hemispherical-ish bowl approximated by a flat bottom and a sloped wall.
    Bowl { radius: f32, height: f32 },
    Ball { radius: f32 },
    /// A cylinder body with a narrower neck on top.
    Bottle { radius: f32, height: f32 },
    /// An open-top box with walls of the given thickness.
    Bin { size: Vec3, wall: f32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Light {
    Directional {
        /// Illuminance on a surface facing the light, lux.
        illuminance_lux: f32,
        #[serde(default = "default_white")]
        color: Rgb,
        /// Direction the light travels, world frame; need not be normalised.
        direction: Vec3,
        #[serde(default)]
        shadows: bool,
    },
    Point {
        position: Vec3,
        /// Luminous power, lumens.
        intensity_lm: f32,
        #[serde(default = "default_white")]
        color: Rgb,
        /// Distance beyond which the light has no effect, metres.
        #[serde(default = "default_point_range")]
        range_m: f32,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Camera {
    pub id: String,
    /// Vertical field of view, degrees.
    #[serde(default = "default_fov")]
    pub fov_y_deg: f32,
    pub trajectory: Trajectory,
}

/// Camera motion over the episode. Time `t` is simulated seconds since the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Trajectory {
    Static { eye: Vec3, look_at: Vec3 },
    /// Circles `center` at `radius_m`, `height_m` above it, starting at `start_deg` (measured
    /// from world +X towards +Y) and turning at `speed_deg_s`.
    Orbit {
        center: Vec3,
        radius_m: f32,
        height_m: f32,
        start_deg: f32,
        speed_deg_s: f32,
    },
    /// Moves the eye linearly from `from` to `to` over `duration_s`, then stays.
    Dolly {
        from: Vec3,
        to: Vec3,
        look_at: Vec3,
        duration_s: f32,
    },
    /// A static camera with a seeded, smooth positional shake.
    Shake {
        eye: Vec3,
        look_at: Vec3,
        amplitude_m: f32,
        frequency_hz: f32,
    },
    /// Rigidly mounted on the arm's tool link, looking along the tool axis.
    Wrist {
        /// Offset from the tool frame origin, in the tool frame.
        offset: Vec3,
    },
}

/// Rates of the three loops, in hertz. Control and perception rates must divide the physics
/// rate; the loop runs them every `physics_hz / rate` physics steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rates {
    #[serde(default = "default_physics_hz")]
    pub physics_hz: f32,
    #[serde(default = "default_control_hz")]
    pub control_hz: f32,
    #[serde(default = "default_perception_hz")]
    pub perception_hz: f32,
}

impl Default for Rates {
    fn default() -> Self {
        Self {
            physics_hz: default_physics_hz(),
            control_hz: default_control_hz(),
            perception_hz: default_perception_hz(),
        }
    }
}

/// Resolution of captured frames, pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSize {
    pub width: u32,
    pub height: u32,
}

impl Default for ImageSize {
    fn default() -> Self {
        Self {
            width: 224,
            height: 224,
        }
    }
}

fn default_urdf() -> String {
    "robots/pickloop_arm.urdf".to_owned()
}
fn default_roughness() -> f32 {
    0.6
}
fn default_white() -> Rgb {
    [1.0, 1.0, 1.0]
}
fn default_point_range() -> f32 {
    10.0
}
fn default_fov() -> f32 {
    55.0
}
fn default_physics_hz() -> f32 {
    240.0
}
fn default_control_hz() -> f32 {
    60.0
}
fn default_perception_hz() -> f32 {
    10.0
}
fn default_background() -> Rgb {
    [0.55, 0.6, 0.65]
}
fn default_support_material() -> Material {
    Material {
        color: [0.6, 0.5, 0.4],
        roughness: 0.8,
        metallic: 0.0,
        texture: None,
    }
}
fn default_lights() -> Vec<Light> {
    vec![Light::Directional {
        illuminance_lux: 6000.0,
        color: default_white(),
        direction: [-0.3, 0.2, -1.0],
        shadows: false,
    }]
}
