//! Supports of generated scenes: a table over a floor, or a shelf unit on a floor.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::scene::{Material, Rgb, Support};

/// Table slab: full extents and centre, metres. Its top is at z = 0.75.
const TABLE_SIZE: [f32; 3] = [1.1, 1.2, 0.04];
const TABLE_CENTRE: [f32; 3] = [0.45, 0.0, 0.73];
/// Region of the table top that object centres are drawn from: x range, y range, metres.
pub(super) const TABLE_REGION: ([f32; 2], [f32; 2]) = ([0.15, 0.8], [-0.4, 0.4]);
/// Floor slab under both scene kinds; its top is at z = 0.
const FLOOR_SIZE: [f32; 3] = [4.0, 4.0, 0.02];
const FLOOR_CENTRE: [f32; 3] = [0.5, 0.0, -0.01];
/// Shelf boards: full extents, centre x, and centre heights of the bottom, middle and top
/// board, metres. Tops are at 0.15, 0.50 and 1.10 m.
pub(super) const BOARD_SIZE: [f32; 3] = [0.4, 1.0, 0.02];
pub(super) const SHELF_CENTRE_X: f32 = 0.6;
const BOARD_HEIGHTS: [f32; 3] = [0.14, 0.49, 1.09];
/// Side panels and back panel of the shelf unit, metres.
const SHELF_HEIGHT: f32 = 1.2;
const PANEL_THICKNESS: f32 = 0.02;
/// Share of each board's y extent, from the centre, that object centres are drawn from.
pub(super) const BOARD_Y_REGION: f32 = 0.42;

pub(super) fn random_srgb(rng: &mut ChaCha8Rng, low: f32, high: f32) -> Rgb {
    [
        rng.random_range(low..=high),
        rng.random_range(low..=high),
        rng.random_range(low..=high),
    ]
}

fn matte(color: Rgb) -> Material {
    Material {
        color,
        roughness: 0.85,
        metallic: 0.0,
        texture: None,
    }
}

fn support(id: &str, size: [f32; 3], position: [f32; 3], material: Material) -> Support {
    Support {
        id: id.to_owned(),
        size,
        position,
        yaw_deg: 0.0,
        material,
    }
}

pub(super) fn tabletop_supports(rng: &mut ChaCha8Rng, textures: &[String]) -> Vec<Support> {
    let texture_index = rng.random_range(0..=textures.len());
    let table = Material {
        color: random_srgb(rng, 0.3, 0.95),
        roughness: rng.random_range(0.5..=0.9),
        metallic: 0.0,
        texture: textures.get(texture_index).cloned(),
    };
    vec![
        support("table", TABLE_SIZE, TABLE_CENTRE, table),
        support(
            "floor",
            FLOOR_SIZE,
            FLOOR_CENTRE,
            matte(random_srgb(rng, 0.2, 0.6)),
        ),
    ]
}

/// Support ids of the bottom, middle and top shelf board.
pub(super) const BOARD_IDS: [&str; 3] = ["board_bottom", "board_middle", "board_top"];

pub(super) fn shelf_supports(rng: &mut ChaCha8Rng) -> Vec<Support> {
    let board = matte(random_srgb(rng, 0.35, 0.9));
    let panel = Material {
        color: random_srgb(rng, 0.2, 0.7),
        roughness: 0.6,
        metallic: rng.random_range(0.0..=0.5),
        texture: None,
    };
    let mut supports = vec![support(
        "floor",
        FLOOR_SIZE,
        FLOOR_CENTRE,
        matte(random_srgb(rng, 0.2, 0.6)),
    )];
    for (id, z) in BOARD_IDS.iter().zip(BOARD_HEIGHTS) {
        supports.push(support(
            id,
            BOARD_SIZE,
            [SHELF_CENTRE_X, 0.0, z],
            board.clone(),
        ));
    }
    let side_y = 0.5 * (BOARD_SIZE[1] + PANEL_THICKNESS);
    let side_size = [BOARD_SIZE[0], PANEL_THICKNESS, SHELF_HEIGHT];
    let panel_z = 0.5 * SHELF_HEIGHT;
    supports.push(support(
        "side_left",
        side_size,
        [SHELF_CENTRE_X, side_y, panel_z],
        panel.clone(),
    ));
    supports.push(support(
        "side_right",
        side_size,
        [SHELF_CENTRE_X, -side_y, panel_z],
        panel.clone(),
    ));
    supports.push(support(
        "back_panel",
        [
            PANEL_THICKNESS,
            BOARD_SIZE[1] + 2.0 * PANEL_THICKNESS,
            SHELF_HEIGHT,
        ],
        [
            SHELF_CENTRE_X + 0.5 * (BOARD_SIZE[0] + PANEL_THICKNESS),
            0.0,
            panel_z,
        ],
        panel,
    ));
    supports
}
