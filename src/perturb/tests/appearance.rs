use super::*;
use crate::perturb::colour::{rgb_to_hsv, rotate_hue};

#[test]
fn hue_rotates_object_colours() {
    let scene = mugs();
    let result = perturb(&scene, Axis::ObjectHue, 120.0, 1).scene;
    for (before, after) in scene.objects.iter().zip(&result.objects) {
        let (hue, saturation, value) = rgb_to_hsv(before.material.color);
        let (new_hue, new_saturation, new_value) = rgb_to_hsv(after.material.color);
        let turned = (new_hue - hue).rem_euclid(360.0);
        assert!(
            (turned - 120.0).abs() < 1e-2,
            "{}: turned {turned}",
            before.id
        );
        assert!(
            (new_saturation - saturation).abs() < 1e-5,
            "{}: saturation changed",
            before.id
        );
        assert!(
            (new_value - value).abs() < 1e-5,
            "{}: value changed",
            before.id
        );
    }
    let grey = [0.4, 0.4, 0.4];
    assert_eq!(rotate_hue(grey, 77.0), grey);
}

#[test]
fn texture_share_sets_count() {
    let scene = mugs();
    let textured = |share: f64, seed: u64| -> Vec<String> {
        perturb(&scene, Axis::ObjectTexture, share, seed)
            .scene
            .objects
            .iter()
            .filter(|o| o.material.texture.is_some())
            .map(|o| o.id.clone())
            .collect()
    };
    assert_eq!(textured(0.25, 3).len(), 1);
    assert_eq!(textured(0.5, 3).len(), 2);
    assert_eq!(textured(1.0, 3).len(), 4);
    let half = textured(0.5, 3);
    assert!(
        half.iter().all(|id| textured(0.75, 3).contains(id)),
        "a larger share textures a superset"
    );
    assert!(failure(&scene, Axis::ObjectTexture, 1.5).contains("above 1"));
}

#[test]
fn table_variants_replace_support_material() {
    let scene = mugs();
    let plain = perturb(&scene, Axis::TableTexture, 3.0, 1).scene;
    assert_eq!(plain.supports[0].material.texture, None);
    assert_ne!(
        plain.supports[0].material.color,
        scene.supports[0].material.color
    );
    let cardboard = perturb(&scene, Axis::TableTexture, 2.0, 1).scene;
    assert_eq!(
        cardboard.supports[0].material.texture.as_deref(),
        Some("textures/cardboard.png")
    );
    let message = failure(&scene, Axis::TableTexture, 6.0);
    assert!(message.contains("5 plain green felt"), "{message}");
}

#[test]
fn background_blends_by_share() {
    let scene = mugs();
    let distance = |share: f64| {
        let after = perturb(&scene, Axis::Background, share, 6).scene.background;
        after
            .iter()
            .zip(&scene.background)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f32>()
            .sqrt()
    };
    let full = distance(1.0);
    assert!(full > 0.2, "the contrasting colour is {full} away");
    assert!((distance(0.5) - 0.5 * full).abs() < 1e-5);
    assert!((distance(0.25) - 0.25 * full).abs() < 1e-5);
}
