//! Layout axis: wider position jitter for every object.

use anyhow::bail;

use super::{Step, placement};
use crate::scene::{Jitter, Scene};

/// Adds the magnitude, metres, to the half-width of every object's X/Y jitter (objects without
/// jitter get that much and no yaw jitter). The validator then checks the worst case of the
/// wider jitter: no overlaps or overhangs, and a reachable target.
pub fn jitter(scene: &mut Scene, step: &Step<'_>) -> anyhow::Result<()> {
    let extra = step.magnitude() as f32;
    for object in &mut scene.objects {
        let jitter = object.jitter.get_or_insert(Jitter {
            xy_m: 0.0,
            yaw_deg: 0.0,
        });
        jitter.xy_m += extra;
    }
    let problems = placement::problems(scene, &step.context.validation)?;
    if !problems.is_empty() {
        bail!(
            "{} makes the objects' jitter ranges overlap, overhang or leave the arm's reach; use a \
             smaller magnitude or move the objects apart in the scene:\n{}",
            step.perturbation.label(),
            placement::listing(&problems)
        );
    }
    Ok(())
}
