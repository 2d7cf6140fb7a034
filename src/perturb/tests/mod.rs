//! Unit tests of the perturbation axes against the shipped scenes.

mod api;
mod appearance;
mod camera;
mod distractors;
mod lighting;
mod prompt;
mod scene_axes;
mod sensor;

use std::path::Path;

use super::{Axis, Perturbation, Perturbed, apply};
use crate::scene::{Scene, load_scene};

/// Loads a scene from scenes/ by file stem.
pub fn shipped(stem: &str) -> Scene {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("scenes/{stem}.ron"));
    load_scene(&path).expect("shipped scene loads").scene
}

pub fn mugs() -> Scene {
    shipped("tabletop_mugs")
}

pub fn one(axis: Axis, magnitude: f64) -> [Perturbation; 1] {
    [Perturbation { axis, magnitude }]
}

/// Applies one perturbation and panics with its error otherwise.
pub fn perturb(scene: &Scene, axis: Axis, magnitude: f64, seed: u64) -> Perturbed {
    apply(scene, &one(axis, magnitude), seed)
        .unwrap_or_else(|e| panic!("{axis}={magnitude}: {e:#}"))
}

/// Returns the error message of a perturbation that must fail.
pub fn failure(scene: &Scene, axis: Axis, magnitude: f64) -> String {
    match apply(scene, &one(axis, magnitude), 1) {
        Ok(_) => panic!("{axis}={magnitude} was accepted"),
        Err(error) => format!("{error:#}"),
    }
}
