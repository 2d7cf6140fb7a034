//! Geometric checks: bins that are all wall, objects that hang over their support's edge,
//! overlap each other or cut into another support at the start, and a target the arm cannot
//! reach. All use the worst case over the object's position jitter.

use std::f32::consts::SQRT_2;

use bevy::math::{Vec2, Vec3};

use super::{ReachLimits, Sink};
use crate::scene::layout::support_top;
use crate::scene::schema::{Object, Scene, Shape, Support};

/// Overlaps and overhangs smaller than this, metres, are float noise rather than problems.
const GEOMETRY_TOLERANCE_M: f32 = 1e-5;

pub(super) fn check(scene: &Scene, reach: &ReachLimits, sink: &mut Sink<'_>) {
    for (i, object) in scene.objects.iter().enumerate() {
        check_bin_walls(i, object, sink);
    }
    for (i, object) in scene.objects.iter().enumerate() {
        if let Some(support) = valid_support_of(scene, object) {
            check_on_support(i, object, support, sink);
            check_clear_of_other_supports(i, object, support, scene, sink);
        }
    }
    check_overlaps(scene, sink);
    check_reach(scene, reach, sink);
}

/// Returns the support an object rests on, when the object and the support are both well
/// formed. Malformed ones are reported by the number and reference checks, and skipping them here
/// avoids follow-on errors.
fn valid_support_of<'s>(scene: &'s Scene, object: &Object) -> Option<&'s Support> {
    if !is_well_formed(object) {
        return None;
    }
    let support = scene.supports.iter().find(|s| s.id == object.on)?;
    let finite = support.position.iter().all(|v| v.is_finite()) && support.yaw_deg.is_finite();
    let positive = support.size.iter().all(|v| v.is_finite() && *v > 0.0);
    (finite && positive).then_some(support)
}

fn is_well_formed(object: &Object) -> bool {
    let dimensions_valid = object
        .shape
        .dimensions()
        .iter()
        .all(|(_, v)| v.is_finite() && *v > 0.0);
    let jitter_valid = object
        .jitter
        .is_none_or(|j| j.xy_m.is_finite() && j.xy_m >= 0.0);
    dimensions_valid && jitter_valid && object.xy.iter().all(|v| v.is_finite())
}

/// Largest horizontal distance the jitter can move an object's centre, metres: the offsets
/// along X and Y are drawn independently, so the worst case is the square's corner.
fn jitter_radius(object: &Object) -> f32 {
    object.jitter.map_or(0.0, |j| j.xy_m * SQRT_2)
}

fn check_bin_walls(i: usize, object: &Object, sink: &mut Sink<'_>) {
    let Shape::Bin { size, wall } = object.shape else {
        return;
    };
    if !(wall > 0.0 && size.iter().all(|v| *v > 0.0)) {
        return;
    }
    let max_wall = (0.5 * size[0].min(size[1])).min(size[2]);
    if wall >= max_wall {
        sink.error(
            &format!("objects[{i}].shape.wall"),
            format!(
                "object {:?}: bin wall ({wall} m) leaves no opening: it must be thinner than \
                 half the bin's width and than its height ({max_wall} m)",
                object.id
            ),
            format!("set wall well below {max_wall} m, e.g. 0.005"),
        );
    }
}

fn check_on_support(i: usize, object: &Object, support: &Support, sink: &mut Sink<'_>) {
    let radius = object.shape.footprint_radius() + jitter_radius(object);
    let centre = Vec2::new(support.position[0], support.position[1]);
    let offset = Vec2::new(object.xy[0], object.xy[1]) - centre;
    let local = Vec2::from_angle(-support.yaw_deg.to_radians()).rotate(offset);
    let half = Vec2::new(0.5 * support.size[0], 0.5 * support.size[1]);
    let overhang = (local.abs() + Vec2::splat(radius) - half).max_element();
    if overhang > GEOMETRY_TOLERANCE_M {
        sink.error(
            &format!("objects[{i}].xy"),
            format!(
                "object {:?} is not within the top face of support {:?}: its footprint \
                 (radius {radius:.3} m including jitter) reaches {overhang:.3} m past the edge",
                object.id, support.id
            ),
            format!(
                "move it at least {overhang:.3} m towards the support's centre ({:.3}, {:.3}), \
                 or reduce jitter.xy_m",
                centre.x, centre.y
            ),
        );
    }
}

/// Reports supports other than its own that the object's start volume cuts into: the
/// vertical cylinder of its footprint, widened by its jitter, from its support's top up to its
/// height. This catches, for example, a box too tall for the shelf space it is placed in.
fn check_clear_of_other_supports(
    i: usize,
    object: &Object,
    own: &Support,
    scene: &Scene,
    sink: &mut Sink<'_>,
) {
    let radius = object.shape.footprint_radius() + jitter_radius(object);
    let bottom = support_top(own);
    let top = bottom + object.shape.height();
    let centre = Vec2::from(object.xy);
    for other in &scene.supports {
        let well_formed = other.size.iter().all(|v| v.is_finite() && *v > 0.0)
            && other.position.iter().all(|v| v.is_finite())
            && other.yaw_deg.is_finite();
        if std::ptr::eq(other, own) || !well_formed {
            continue;
        }
        let other_bottom = other.position[2] - 0.5 * other.size[2];
        let other_top = other.position[2] + 0.5 * other.size[2];
        let vertical_overlap = top.min(other_top) - bottom.max(other_bottom);
        if vertical_overlap <= GEOMETRY_TOLERANCE_M {
            continue;
        }
        let other_centre = Vec2::new(other.position[0], other.position[1]);
        let local = Vec2::from_angle(-other.yaw_deg.to_radians()).rotate(centre - other_centre);
        let half = Vec2::new(0.5 * other.size[0], 0.5 * other.size[1]);
        let nearest = local.clamp(-half, half);
        let penetration = radius - local.distance(nearest);
        if penetration > GEOMETRY_TOLERANCE_M {
            sink.error(
                &format!("objects[{i}].xy"),
                format!(
                    "object {:?} can cut into support {:?} at the start: its footprint \
                     (radius {radius:.3} m including jitter) between z = {bottom:.3} and \
                     {top:.3} m reaches {penetration:.3} m into the support's box",
                    object.id, other.id
                ),
                format!(
                    "move the object at least {penetration:.3} m away from {:?}, make it \
                     lower, or move the support",
                    other.id
                ),
            );
        }
    }
}

fn check_overlaps(scene: &Scene, sink: &mut Sink<'_>) {
    let placed: Vec<(usize, &Object)> = scene
        .objects
        .iter()
        .enumerate()
        .filter(|(_, object)| valid_support_of(scene, object).is_some())
        .collect();
    for (n, &(j, later)) in placed.iter().enumerate() {
        for &(_, earlier) in &placed[..n] {
            if earlier.on != later.on {
                continue;
            }
            let distance = Vec2::from(earlier.xy).distance(Vec2::from(later.xy));
            let needed = earlier.shape.footprint_radius()
                + later.shape.footprint_radius()
                + jitter_radius(earlier)
                + jitter_radius(later);
            if distance + GEOMETRY_TOLERANCE_M < needed {
                sink.error(
                    &format!("objects[{j}].xy"),
                    format!(
                        "object {:?} can overlap object {:?} on {:?}: their centres are \
                         {distance:.3} m apart, but their footprints and jitter need {needed:.3} m",
                        later.id, earlier.id, later.on
                    ),
                    format!(
                        "move the two objects at least {:.3} m further apart, or reduce their \
                         jitter.xy_m",
                        needed - distance
                    ),
                );
            }
        }
    }
}

fn check_reach(scene: &Scene, reach: &ReachLimits, sink: &mut Sink<'_>) {
    let Some((i, target)) = scene
        .objects
        .iter()
        .enumerate()
        .find(|(_, o)| o.id == scene.target)
    else {
        return;
    };
    let Some(support) = valid_support_of(scene, target) else {
        return;
    };
    let robot = &scene.robot;
    if !(robot.base_position.iter().all(|v| v.is_finite()) && robot.base_yaw_deg.is_finite()) {
        return;
    }

    let shoulder = reach.shoulder_in_world(robot);
    // A suction tool grasps the target at the centre of its top.
    let grasp = Vec3::new(
        target.xy[0],
        target.xy[1],
        support_top(support) + target.shape.height(),
    );
    let horizontal = (grasp - shoulder).truncate().length();
    let vertical = grasp.z - shoulder.z;
    let jitter = jitter_radius(target);
    let farthest = (horizontal + jitter).hypot(vertical);
    let nearest = (horizontal - jitter).max(0.0).hypot(vertical);

    let path = format!("objects[{i}].xy");
    let base = format!(
        "({:.2}, {:.2})",
        robot.base_position[0], robot.base_position[1]
    );
    if farthest > reach.max_reach_m {
        sink.error(
            &path,
            format!(
                "target {:?} is out of the arm's reach: its grasp point (top centre) can be \
                 {farthest:.3} m from the shoulder, beyond the maximum reach of {:.3} m",
                target.id, reach.max_reach_m
            ),
            format!(
                "move the target at least {:.3} m closer to the robot base at {base}, or move \
                 robot.base_position",
                farthest - reach.max_reach_m
            ),
        );
    }
    if nearest < reach.min_reach_m {
        sink.error(
            &path,
            format!(
                "target {:?} is too close to the arm: its grasp point (top centre) can come \
                 within {nearest:.3} m of the shoulder, below the minimum reach of {:.3} m",
                target.id, reach.min_reach_m
            ),
            format!(
                "move the target further from the robot base at {base}, so that its grasp \
                 point gains at least {:.3} m of distance",
                reach.min_reach_m - nearest
            ),
        );
    }
}
