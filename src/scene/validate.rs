//! Semantic checks of a parsed scene: every problem is reported, each at the value that causes
//! it, with the offending value and a fix.

mod geometry;
mod numbers;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use bevy::math::{Quat, Vec3};

use super::diagnostic::Diagnostic;
use super::load::{LoadedScene, load_scene};
use super::locate::SourceMap;
use super::schema::{Material, Robot, Scene};

/// Inputs of validation beyond the scene file itself.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidationContext {
    /// Directory that texture paths in scene files are relative to.
    pub assets_dir: PathBuf,
    pub reach: ReachLimits,
}

/// How far the arm reaches, measured from its shoulder pivot. The command line fills this
/// from the arm model; tests pass constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReachLimits {
    /// Shoulder pivot relative to the origin of the robot's base link, metres, in the base
    /// frame (a `bevy::math::Vec3`, not the scene schema's `[f32; 3]`). A scene places the
    /// base with `robot.base_position` and `robot.base_yaw_deg`, so one value serves every
    /// scene.
    pub shoulder_offset: Vec3,
    /// Largest distance from the shoulder pivot to the tool's grasp point, metres.
    pub max_reach_m: f32,
    /// Smallest distance from the shoulder pivot to the tool's grasp point, metres.
    pub min_reach_m: f32,
}

impl ReachLimits {
    /// Returns the shoulder pivot in the world for a robot placed as `robot` describes.
    pub fn shoulder_in_world(&self, robot: &Robot) -> Vec3 {
        let base_rotation = Quat::from_rotation_z(robot.base_yaw_deg.to_radians());
        Vec3::from(robot.base_position) + base_rotation * self.shoulder_offset
    }
}

/// Checks a loaded scene and returns every problem found, in file order. An empty list means
/// the scene is valid.
pub fn validate(loaded: &LoadedScene, ctx: &ValidationContext) -> Vec<Diagnostic> {
    let map = SourceMap::new(&loaded.source);
    let mut sink = Sink {
        file: &loaded.path,
        map: &map,
        diagnostics: Vec::new(),
    };
    let scene = &loaded.scene;

    numbers::check(scene, &mut sink);
    check_image_size(scene, &mut sink);
    check_unique_ids(scene, &mut sink);
    check_references(scene, &mut sink);
    check_rates(scene, &mut sink);
    check_textures(scene, &ctx.assets_dir, &mut sink);
    geometry::check(scene, &ctx.reach, &mut sink);

    let mut diagnostics = sink.diagnostics;
    diagnostics.sort_by_key(|d| (d.line, d.column));
    diagnostics
}

/// Loads and validates a scene file: the loaded scene when it is valid, otherwise every
/// problem found. A file that does not parse yields the one parse diagnostic.
pub fn check_file(path: &Path, ctx: &ValidationContext) -> Result<LoadedScene, Vec<Diagnostic>> {
    let loaded = load_scene(path).map_err(|error| vec![error.to_diagnostic()])?;
    let diagnostics = validate(&loaded, ctx);
    if diagnostics.is_empty() {
        Ok(loaded)
    } else {
        Err(diagnostics)
    }
}

/// Collects diagnostics, locating each value path in the source.
struct Sink<'a> {
    file: &'a Path,
    map: &'a SourceMap<'a>,
    diagnostics: Vec<Diagnostic>,
}

impl Sink<'_> {
    /// Reports a problem with the value at `path`. When the file leaves that value out (it
    /// has a default), the diagnostic points at the nearest enclosing value that is written.
    fn error(&mut self, path: &str, message: impl Into<String>, fix: impl Into<String>) {
        let position = self.map.position_or_ancestor(path);
        self.diagnostics.push(Diagnostic {
            file: self.file.to_owned(),
            line: position.line,
            column: position.column,
            path: path.to_owned(),
            message: message.into(),
            value: self.map.value_text(path),
            fix: fix.into(),
        });
    }
}

fn check_image_size(scene: &Scene, sink: &mut Sink<'_>) {
    for (name, size) in [("width", scene.image.width), ("height", scene.image.height)] {
        if size == 0 {
            sink.error(
                &format!("image.{name}"),
                format!("image: {name} must be positive"),
                format!("set image.{name} in pixels above 0, e.g. 224"),
            );
        }
    }
}

fn check_unique_ids(scene: &Scene, sink: &mut Sink<'_>) {
    let groups: [(&str, &str, Vec<&str>); 3] = [
        (
            "objects",
            "object",
            scene.objects.iter().map(|o| o.id.as_str()).collect(),
        ),
        (
            "supports",
            "support",
            scene.supports.iter().map(|s| s.id.as_str()).collect(),
        ),
        (
            "cameras",
            "camera",
            scene.cameras.iter().map(|c| c.id.as_str()).collect(),
        ),
    ];
    for (list, kind, ids) in groups {
        let mut first_index: HashMap<&str, usize> = HashMap::new();
        for (i, id) in ids.iter().enumerate() {
            match first_index.get(id) {
                Some(&first) => sink.error(
                    &format!("{list}[{i}].id"),
                    format!("duplicate {kind} id {id:?}: {list}[{first}] already uses it"),
                    format!("give every {kind} its own id, e.g. \"{id}_2\""),
                ),
                None => {
                    first_index.insert(id, i);
                }
            }
        }
    }
}

fn check_references(scene: &Scene, sink: &mut Sink<'_>) {
    let object_ids: Vec<&str> = scene.objects.iter().map(|o| o.id.as_str()).collect();
    if !object_ids.contains(&scene.target.as_str()) {
        sink.error(
            "target",
            format!("target {:?} is not the id of any object", scene.target),
            format!(
                "set target to one of the object ids: {}",
                quoted_list(&object_ids)
            ),
        );
    }

    let support_ids: Vec<&str> = scene.supports.iter().map(|s| s.id.as_str()).collect();
    for (i, object) in scene.objects.iter().enumerate() {
        if !support_ids.contains(&object.on.as_str()) {
            sink.error(
                &format!("objects[{i}].on"),
                format!(
                    "object {:?}: `on` names no support: {:?}",
                    object.id, object.on
                ),
                format!(
                    "set `on` to one of the support ids: {}",
                    quoted_list(&support_ids)
                ),
            );
        }
    }

    let camera_ids: Vec<&str> = scene.cameras.iter().map(|c| c.id.as_str()).collect();
    if !camera_ids.contains(&scene.view.as_str()) {
        sink.error(
            "view",
            format!("view {:?} is not the id of any camera", scene.view),
            format!(
                "set view to one of the camera ids: {}",
                quoted_list(&camera_ids)
            ),
        );
    }
}

/// Relative tolerance when checking that a rate divides the physics rate.
const RATE_DIVISION_TOLERANCE: f32 = 1e-4;

fn check_rates(scene: &Scene, sink: &mut Sink<'_>) {
    let physics_hz = scene.rates.physics_hz;
    if !(physics_hz.is_finite() && physics_hz > 0.0) {
        // The number checks report an invalid physics rate.
        return;
    }
    for (name, rate_hz) in [
        ("control_hz", scene.rates.control_hz),
        ("perception_hz", scene.rates.perception_hz),
    ] {
        if !(rate_hz.is_finite() && rate_hz > 0.0) {
            continue;
        }
        let steps = physics_hz / rate_hz;
        let whole_steps = steps.round();
        if whole_steps >= 1.0 && (steps - whole_steps).abs() <= RATE_DIVISION_TOLERANCE * steps {
            continue;
        }
        let fix = match dividing_rates_around(physics_hz, rate_hz) {
            (Some(below), Some(above)) => format!(
                "use a rate that divides physics_hz ({physics_hz} Hz), e.g. {below} or {above}"
            ),
            (Some(rate), None) | (None, Some(rate)) => {
                format!("use a rate that divides physics_hz ({physics_hz} Hz), e.g. {rate}")
            }
            (None, None) => format!("use physics_hz divided by a whole number, e.g. {physics_hz}"),
        };
        sink.error(
            &format!("rates.{name}"),
            format!(
                "rates: {name} ({rate_hz} Hz) does not divide physics_hz ({physics_hz} Hz): \
                 {steps:.3} physics steps per update"
            ),
            fix,
        );
    }
}

/// Maximum number of physics steps per update considered when suggesting a dividing rate.
const MAX_SUGGESTED_STEPS: u32 = 10_000;

/// Finds the rates nearest to `rate_hz` from below and from above that divide `physics_hz` into a
/// whole number of steps and are themselves round to 0.1 Hz, so that the suggestion is easy
/// to type.
fn dividing_rates_around(physics_hz: f32, rate_hz: f32) -> (Option<f32>, Option<f32>) {
    let round_rates = (1..=MAX_SUGGESTED_STEPS)
        .map(|steps| physics_hz / steps as f32)
        .filter(|rate| ((rate * 10.0).round() - rate * 10.0).abs() < 1e-3)
        .map(|rate| (rate * 10.0).round() / 10.0);
    let mut below: Option<f32> = None;
    let mut above: Option<f32> = None;
    for rate in round_rates {
        if rate < rate_hz && below.is_none_or(|b| rate > b) {
            below = Some(rate);
        }
        if rate > rate_hz && above.is_none_or(|a| rate < a) {
            above = Some(rate);
        }
    }
    (below, above)
}

fn check_textures(scene: &Scene, assets_dir: &Path, sink: &mut Sink<'_>) {
    let materials = scene
        .supports
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                format!("supports[{i}]"),
                format!("support {:?}", s.id),
                &s.material,
            )
        })
        .chain(scene.objects.iter().enumerate().map(|(i, o)| {
            (
                format!("objects[{i}]"),
                format!("object {:?}", o.id),
                &o.material,
            )
        }));
    for (path, owner, material) in materials {
        check_texture(&path, &owner, material, assets_dir, sink);
    }
}

fn check_texture(
    path: &str,
    owner: &str,
    material: &Material,
    assets_dir: &Path,
    sink: &mut Sink<'_>,
) {
    let Some(texture) = &material.texture else {
        return;
    };
    let file = assets_dir.join(texture);
    if !file.is_file() {
        sink.error(
            &format!("{path}.material.texture"),
            format!("{owner}: texture file {} not found", file.display()),
            format!(
                "put the PNG at {} or give a path relative to {}",
                file.display(),
                assets_dir.display()
            ),
        );
    }
}

fn quoted_list(ids: &[&str]) -> String {
    if ids.is_empty() {
        return "(none defined)".to_owned();
    }
    ids.iter()
        .map(|id| format!("{id:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shoulder_follows_base_yaw() {
        let limits = ReachLimits {
            shoulder_offset: Vec3::new(0.1, 0.0, 0.16),
            max_reach_m: 0.75,
            min_reach_m: 0.2,
        };
        let robot = Robot {
            base_position: [1.0, 0.0, 0.5],
            base_yaw_deg: 90.0,
            ..Robot::default()
        };
        let shoulder = limits.shoulder_in_world(&robot);
        assert!(shoulder.distance(Vec3::new(1.0, 0.1, 0.66)) < 1e-6, "{shoulder}");
    }

    #[test]
    fn dividing_rate_suggestions() {
        assert_eq!(dividing_rates_around(240.0, 70.0), (Some(60.0), Some(80.0)));
        assert_eq!(dividing_rates_around(240.0, 7.0), (Some(6.0), Some(7.5)));
        assert_eq!(dividing_rates_around(240.0, 500.0), (Some(240.0), None));
    }
}
