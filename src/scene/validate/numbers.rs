//! Every number in a scene with the range it must lie in: finiteness, positive sizes and
//! rates, non-negative jitter, colours in 0..=1 and fields of view below 180°.

use super::Sink;
use crate::scene::schema::{Camera, Light, Material, Object, Scene, Trajectory};

/// The range a number must lie in, besides being finite.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Range {
    Any,
    Positive,
    NonNegative,
    /// 0..=1, for sRGB components and material factors.
    UnitInterval,
    /// Strictly between 0 and 180, for fields of view in degrees.
    FieldOfViewDeg,
}

/// One number of the scene, ready to be checked.
struct Number {
    /// Value path in the file.
    path: String,
    /// Owner of the number as printed in messages, such as `object "red_mug"`.
    owner: String,
    /// The number's name relative to its owner: `radius`, `jitter.xy_m`.
    label: String,
    value: f32,
    range: Range,
    /// Unit and a typical value, used in the fix.
    unit: &'static str,
    example: &'static str,
}

/// Reports every non-finite number and every number outside its range.
pub(super) fn check(scene: &Scene, sink: &mut Sink<'_>) {
    for number in collect(scene) {
        check_number(&number, sink);
    }
}

fn check_number(n: &Number, sink: &mut Sink<'_>) {
    let owner = &n.owner;
    let label = &n.label;
    if !n.value.is_finite() {
        let problem = if n.value.is_nan() { "NaN" } else { "infinite" };
        let fix = match n.range {
            Range::Any => "write a finite number".to_owned(),
            _ => format!("write a finite number in {}, e.g. {}", n.unit, n.example),
        };
        sink.error(&n.path, format!("{owner}: {label} is {problem}"), fix);
        return;
    }
    let (valid, requirement, fix) = match n.range {
        Range::Any => return,
        Range::Positive => (
            n.value > 0.0,
            "must be positive",
            format!("set {label} in {} above 0, e.g. {}", n.unit, n.example),
        ),
        Range::NonNegative => (
            n.value >= 0.0,
            "must not be negative",
            format!("set {label} in {} to 0 or more, e.g. {}", n.unit, n.example),
        ),
        Range::UnitInterval => (
            (0.0..=1.0).contains(&n.value),
            "must be within 0..=1",
            format!("use a value from 0 to 1, e.g. {}", n.example),
        ),
        Range::FieldOfViewDeg => (
            n.value > 0.0 && n.value < 180.0,
            "must be between 0 and 180 degrees",
            format!(
                "set a vertical field of view in degrees, e.g. {}",
                n.example
            ),
        ),
    };
    if !valid {
        sink.error(&n.path, format!("{owner}: {label} {requirement}"), fix);
    }
}

/// Collects the scene's numbers in file order, each with its range.
fn collect(scene: &Scene) -> Vec<Number> {
    let mut list = Vec::new();

    let mut top = Scope::new(&mut list, "", "scene");
    top.number(
        "time_limit_s",
        scene.time_limit_s,
        Range::Positive,
        "seconds",
        "20.0",
    );

    let mut robot = Scope::new(&mut list, "robot", "robot");
    robot.vector("base_position", &scene.robot.base_position, Range::Any);
    robot.number(
        "base_yaw_deg",
        scene.robot.base_yaw_deg,
        Range::Any,
        "degrees",
        "0.0",
    );
    for (j, angle) in scene.robot.start_joints.iter().flatten().enumerate() {
        robot.number(
            &format!("start_joints[{j}]"),
            *angle,
            Range::Any,
            "radians",
            "0.0",
        );
    }

    for (i, support) in scene.supports.iter().enumerate() {
        let owner = format!("support {:?}", support.id);
        let mut scope = Scope::new(&mut list, &format!("supports[{i}]"), &owner);
        for (k, axis) in ["x", "y", "z"].iter().enumerate() {
            let (path, label) = (format!("size[{k}]"), format!("size.{axis}"));
            scope.labelled(
                &path,
                &label,
                support.size[k],
                Range::Positive,
                "metres",
                "0.5",
            );
        }
        scope.vector("position", &support.position, Range::Any);
        scope.number("yaw_deg", support.yaw_deg, Range::Any, "degrees", "0.0");
        scope.material(&support.material);
    }

    for (i, object) in scene.objects.iter().enumerate() {
        let owner = format!("object {:?}", object.id);
        Scope::new(&mut list, &format!("objects[{i}]"), &owner).object(object);
    }

    for (i, light) in scene.lights.iter().enumerate() {
        let path = format!("lights[{i}]");
        Scope::new(&mut list, &path, &path).light(light);
    }

    for (i, camera) in scene.cameras.iter().enumerate() {
        let owner = format!("camera {:?}", camera.id);
        Scope::new(&mut list, &format!("cameras[{i}]"), &owner).camera(camera);
    }

    let mut top = Scope::new(&mut list, "", "scene");
    top.vector("background", &scene.background, Range::UnitInterval);

    let mut rates = Scope::new(&mut list, "rates", "rates");
    rates.number(
        "physics_hz",
        scene.rates.physics_hz,
        Range::Positive,
        "hertz",
        "240.0",
    );
    rates.number(
        "control_hz",
        scene.rates.control_hz,
        Range::Positive,
        "hertz",
        "60.0",
    );
    rates.number(
        "perception_hz",
        scene.rates.perception_hz,
        Range::Positive,
        "hertz",
        "10.0",
    );

    list
}

/// Adds the numbers of one owner (an object, a camera, ...) under a common path prefix.
struct Scope<'l> {
    list: &'l mut Vec<Number>,
    prefix: String,
    owner: String,
}

impl<'l> Scope<'l> {
    fn new(list: &'l mut Vec<Number>, prefix: &str, owner: &str) -> Self {
        Self {
            list,
            prefix: prefix.to_owned(),
            owner: owner.to_owned(),
        }
    }

    /// Adds a number whose label in messages is its path relative to the owner.
    fn number(
        &mut self,
        field: &str,
        value: f32,
        range: Range,
        unit: &'static str,
        example: &'static str,
    ) {
        self.labelled(field, field, value, range, unit, example);
    }

    fn labelled(
        &mut self,
        field: &str,
        label: &str,
        value: f32,
        range: Range,
        unit: &'static str,
        example: &'static str,
    ) {
        let path = if self.prefix.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.prefix)
        };
        self.list.push(Number {
            path,
            owner: self.owner.clone(),
            label: label.to_owned(),
            value,
            range,
            unit,
            example,
        });
    }

    /// Adds the components of a 2- or 3-vector, labelled `name[0]`, `name[1]`, ...
    fn vector(&mut self, field: &str, values: &[f32], range: Range) {
        let (unit, example) = match range {
            Range::UnitInterval => ("0..=1", "0.5"),
            _ => ("metres", "0.0"),
        };
        for (k, value) in values.iter().enumerate() {
            self.number(&format!("{field}[{k}]"), *value, range, unit, example);
        }
    }

    fn material(&mut self, material: &Material) {
        self.vector("material.color", &material.color, Range::UnitInterval);
        self.number(
            "material.roughness",
            material.roughness,
            Range::UnitInterval,
            "0..=1",
            "0.6",
        );
        self.number(
            "material.metallic",
            material.metallic,
            Range::UnitInterval,
            "0..=1",
            "0.0",
        );
    }

    fn object(&mut self, object: &Object) {
        for (name, value) in object.shape.dimensions() {
            let example = match name {
                "radius" => "0.04",
                "height" | "size.z" => "0.1",
                "wall" => "0.005",
                _ => "0.06",
            };
            let path = format!("shape.{}", dimension_path(name));
            self.labelled(&path, name, value, Range::Positive, "metres", example);
        }
        self.material(&object.material);
        self.vector("xy", &object.xy, Range::Any);
        self.number("yaw_deg", object.yaw_deg, Range::Any, "degrees", "0.0");
        if let Some(jitter) = object.jitter {
            self.number(
                "jitter.xy_m",
                jitter.xy_m,
                Range::NonNegative,
                "metres",
                "0.02",
            );
            self.number(
                "jitter.yaw_deg",
                jitter.yaw_deg,
                Range::NonNegative,
                "degrees",
                "180.0",
            );
        }
        if let Some(mass) = object.mass_kg {
            self.number("mass_kg", mass, Range::Positive, "kilograms", "0.2");
        }
    }

    fn light(&mut self, light: &Light) {
        match light {
            Light::Directional {
                illuminance_lux,
                color,
                direction,
                ..
            } => {
                self.number(
                    "illuminance_lux",
                    *illuminance_lux,
                    Range::NonNegative,
                    "lux",
                    "6000.0",
                );
                self.vector("color", color, Range::UnitInterval);
                self.vector("direction", direction, Range::Any);
            }
            Light::Point {
                position,
                intensity_lm,
                color,
                range_m,
            } => {
                self.vector("position", position, Range::Any);
                self.number(
                    "intensity_lm",
                    *intensity_lm,
                    Range::NonNegative,
                    "lumens",
                    "800.0",
                );
                self.vector("color", color, Range::UnitInterval);
                self.number("range_m", *range_m, Range::Positive, "metres", "10.0");
            }
        }
    }

    fn camera(&mut self, camera: &Camera) {
        self.number(
            "fov_y_deg",
            camera.fov_y_deg,
            Range::FieldOfViewDeg,
            "degrees",
            "55.0",
        );
        match &camera.trajectory {
            Trajectory::Static { eye, look_at } => {
                self.vector("trajectory.eye", eye, Range::Any);
                self.vector("trajectory.look_at", look_at, Range::Any);
            }
            Trajectory::Orbit {
                center,
                radius_m,
                height_m,
                start_deg,
                speed_deg_s,
            } => {
                self.vector("trajectory.center", center, Range::Any);
                self.number(
                    "trajectory.radius_m",
                    *radius_m,
                    Range::Positive,
                    "metres",
                    "0.6",
                );
                self.number(
                    "trajectory.height_m",
                    *height_m,
                    Range::Any,
                    "metres",
                    "0.6",
                );
                self.number(
                    "trajectory.start_deg",
                    *start_deg,
                    Range::Any,
                    "degrees",
                    "180.0",
                );
                self.number(
                    "trajectory.speed_deg_s",
                    *speed_deg_s,
                    Range::Any,
                    "degrees per second",
                    "3.0",
                );
            }
            Trajectory::Dolly {
                from,
                to,
                look_at,
                duration_s,
            } => {
                self.vector("trajectory.from", from, Range::Any);
                self.vector("trajectory.to", to, Range::Any);
                self.vector("trajectory.look_at", look_at, Range::Any);
                self.number(
                    "trajectory.duration_s",
                    *duration_s,
                    Range::NonNegative,
                    "seconds",
                    "10.0",
                );
            }
            Trajectory::Shake {
                eye,
                look_at,
                amplitude_m,
                frequency_hz,
            } => {
                self.vector("trajectory.eye", eye, Range::Any);
                self.vector("trajectory.look_at", look_at, Range::Any);
                self.number(
                    "trajectory.amplitude_m",
                    *amplitude_m,
                    Range::NonNegative,
                    "metres",
                    "0.01",
                );
                self.number(
                    "trajectory.frequency_hz",
                    *frequency_hz,
                    Range::NonNegative,
                    "hertz",
                    "0.5",
                );
            }
            Trajectory::Wrist { offset } => {
                self.vector("trajectory.offset", offset, Range::Any);
            }
        }
    }
}

fn axis_index(axis: &str) -> usize {
    match axis {
        "x" => 0,
        "y" => 1,
        _ => 2,
    }
}

/// Value path of a shape dimension named by [`Shape::dimensions`](crate::scene::Shape):
/// `size.y` is written as the second component of `size`.
pub(super) fn dimension_path(name: &str) -> String {
    match name.strip_prefix("size.") {
        Some(axis) => format!("size[{}]", axis_index(axis)),
        None => name.to_owned(),
    }
}
