use super::*;
use crate::perturb::colour::black_body_tint;
use crate::scene::Light;

fn intensities(scene: &Scene) -> Vec<f32> {
    scene
        .lights
        .iter()
        .map(|light| match light {
            Light::Directional {
                illuminance_lux, ..
            } => *illuminance_lux,
            Light::Point { intensity_lm, .. } => *intensity_lm,
        })
        .collect()
}

fn colours(scene: &Scene) -> Vec<[f32; 3]> {
    scene
        .lights
        .iter()
        .map(|light| match light {
            Light::Directional { color, .. } | Light::Point { color, .. } => *color,
        })
        .collect()
}

#[test]
fn intensity_scales_by_exposure_stops() {
    let scene = shipped("warehouse_shelves");
    let before = intensities(&scene);
    assert_eq!(
        before.len(),
        2,
        "warehouse_shelves has a directional and a point light"
    );
    for (stops, factor) in [(1.0, 0.5), (2.0, 0.25), (-1.0, 2.0)] {
        let after = intensities(&perturb(&scene, Axis::LightIntensity, stops, 1).scene);
        for (b, a) in before.iter().zip(&after) {
            assert!((a / b - factor).abs() < 1e-6, "{stops} EV: {b} became {a}");
        }
    }
}

#[test]
fn black_body_tint_is_white_at_6500k() {
    let white = black_body_tint(6500.0);
    for channel in white {
        assert!((channel - 1.0).abs() < 1e-6, "{white:?}");
    }
    let warm = black_body_tint(3000.0);
    assert!(warm[0] > warm[1], "3000 K is orange: {warm:?}");
    assert!(warm[1] > warm[2], "3000 K is orange: {warm:?}");
    let cool = black_body_tint(12000.0);
    assert!(cool[2] > cool[1], "12000 K is blue: {cool:?}");
    assert!(cool[1] > cool[0], "12000 K is blue: {cool:?}");
}

#[test]
fn temperature_tints_grow_with_magnitude() {
    let scene = mugs();
    let blue_share = |kelvin: f64| {
        let colour = colours(&perturb(&scene, Axis::LightTemperature, kelvin, 1).scene)[0];
        colour[2] / colour[0]
    };
    assert!(blue_share(-1500.0) < 1.0);
    assert!(blue_share(-3500.0) < blue_share(-1500.0));
    assert!(blue_share(2000.0) > 1.0);
    assert!(blue_share(8000.0) > blue_share(2000.0));
    let message = failure(&scene, Axis::LightTemperature, -6000.0);
    assert!(message.contains("500 K"), "{message}");
    assert!(message.contains("-5500"), "{message}");
}

#[test]
fn direction_rotates_directional_lights() {
    let scene = mugs();
    let direction = |scene: &Scene| match scene.lights[0] {
        Light::Directional { direction, .. } => direction,
        ref other => panic!("expected a directional light, found {other:?}"),
    };
    let [x, y, z] = direction(&scene);
    let [rx, ry, rz] = direction(&perturb(&scene, Axis::LightDirection, 90.0, 1).scene);
    assert!((rx + y).abs() < 1e-5, "x after 90 degrees: {rx}");
    assert!((ry - x).abs() < 1e-5, "y after 90 degrees: {ry}");
    assert!((rz - z).abs() < 1e-6, "z after 90 degrees: {rz}");
}

#[test]
fn extra_lights_adds_seeded_point_lights() {
    let scene = mugs();
    let three = perturb(&scene, Axis::ExtraLights, 3.0, 4).scene;
    assert_eq!(three.lights.len(), scene.lights.len() + 3);
    assert_eq!(
        three,
        perturb(&scene, Axis::ExtraLights, 3.0, 4).scene,
        "same seed, same lights"
    );
    assert_ne!(
        three,
        perturb(&scene, Axis::ExtraLights, 3.0, 5).scene,
        "another seed, other lights"
    );
    let two = perturb(&scene, Axis::ExtraLights, 2.0, 4).scene;
    assert_eq!(
        two.lights[..],
        three.lights[..two.lights.len()],
        "count 2 is a prefix of count 3"
    );
    assert!(
        three.lights[1..]
            .iter()
            .all(|light| matches!(light, Light::Point { .. }))
    );
}
