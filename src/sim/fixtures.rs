//! Scenes built in code for tests: a table with the arm at its back edge.

use crate::scene::{Material, Object, Rates, Robot, Scene, SceneKind, Shape, Support};

/// Height of the table top, metres.
pub const TABLE_TOP_Z: f32 = 0.75;

/// Builds a tabletop scene whose table top spans x in [-0.1, 1.0], y in [-0.6, 0.6] at z = 0.75, with
/// the arm's base on the table at the origin, and the given objects on the table.
pub fn table_scene(objects: Vec<Object>) -> Scene {
    let thickness = 0.05;
    Scene {
        name: "test_table".into(),
        kind: SceneKind::Tabletop,
        instruction: "pick the object".into(),
        target: objects.first().map(|o| o.id.clone()).unwrap_or_default(),
        time_limit_s: 20.0,
        seed: 0,
        robot: Robot {
            base_position: [0.0, 0.0, TABLE_TOP_Z],
            ..Robot::default()
        },
        supports: vec![Support {
            id: "table".into(),
            size: [1.1, 1.2, thickness],
            position: [0.45, 0.0, TABLE_TOP_Z - 0.5 * thickness],
            yaw_deg: 0.0,
            material: grey(),
        }],
        objects,
        lights: Vec::new(),
        cameras: Vec::new(),
        view: String::new(),
        background: [0.5, 0.5, 0.5],
        rates: Rates::default(),
        image: Default::default(),
    }
}

/// Creates an object on the table at `xy`.
pub fn object_on_table(id: &str, shape: Shape, xy: [f32; 2], yaw_deg: f32) -> Object {
    Object {
        id: id.into(),
        shape,
        material: grey(),
        on: "table".into(),
        xy,
        yaw_deg,
        jitter: None,
        mass_kg: None,
    }
}

fn grey() -> Material {
    Material {
        color: [0.5, 0.5, 0.5],
        roughness: 0.6,
        metallic: 0.0,
        texture: None,
    }
}
