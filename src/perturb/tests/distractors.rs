use super::*;
use crate::perturb::colour::{DISTINCT_COLOUR_DISTANCE, colour_distance};
use crate::perturb::placement::problems;
use crate::perturb::{PerturbContext, default_assets_dir};
use crate::scene::Object;

fn added(scene: &Scene, axis: Axis, count: f64, seed: u64) -> (Scene, Vec<Object>) {
    let result = perturb(scene, axis, count, seed).scene;
    let new = result.objects[scene.objects.len()..].to_vec();
    (result, new)
}

fn assert_valid(scene: &Scene) {
    let context = PerturbContext::load(&default_assets_dir(), scene).expect("context loads");
    let found = problems(scene, &context.validation).expect("validation runs");
    assert!(found.is_empty(), "perturbed scene is invalid: {found:#?}");
}

#[test]
fn distractors_are_placed_validly() {
    for stem in ["tabletop_mugs", "tabletop_sizes"] {
        let scene = shipped(stem);
        let (result, new) = added(&scene, Axis::Distractors, 4.0, 11);
        assert_eq!(new.len(), 4, "{stem}");
        let ids: Vec<&str> = new.iter().map(|o| o.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "distractor_1",
                "distractor_2",
                "distractor_3",
                "distractor_4"
            ]
        );
        let target = scene
            .objects
            .iter()
            .find(|o| o.id == scene.target)
            .expect("target");
        for object in &new {
            assert_eq!(
                object.on, target.on,
                "{stem}: {} is on the target's support",
                object.id
            );
            let same_look = object.shape.kind_name() == target.shape.kind_name()
                && colour_distance(object.material.color, target.material.color)
                    <= DISTINCT_COLOUR_DISTANCE;
            assert!(!same_look, "{stem}: {} looks like the target", object.id);
            assert_eq!(object.jitter, target.jitter);
        }
        assert_valid(&result);
    }
}

#[test]
fn same_colour_and_same_shape_distractors() {
    let scene = mugs();
    let target = scene.objects[0].clone();
    assert_eq!(target.id, scene.target);
    let (result, new) = added(&scene, Axis::DistractorsSameColour, 3.0, 2);
    for object in &new {
        assert_eq!(object.material.color, target.material.color);
        assert_ne!(object.shape.kind_name(), target.shape.kind_name());
    }
    assert_valid(&result);
    let (result, new) = added(&scene, Axis::DistractorsSameShape, 3.0, 2);
    for object in &new {
        assert_eq!(object.shape, target.shape);
        assert!(
            colour_distance(object.material.color, target.material.color)
                > DISTINCT_COLOUR_DISTANCE
        );
    }
    assert_valid(&result);
}

#[test]
fn distractors_seeded_and_nested() {
    let scene = mugs();
    let (_, three) = added(&scene, Axis::Distractors, 3.0, 7);
    let (_, again) = added(&scene, Axis::Distractors, 3.0, 7);
    let (_, other) = added(&scene, Axis::Distractors, 3.0, 8);
    let (_, two) = added(&scene, Axis::Distractors, 2.0, 7);
    assert_eq!(three, again);
    assert_ne!(three, other);
    assert_eq!(two[..], three[..2]);
}

#[test]
fn full_shelf_rejects_distractors() {
    // The middle board carries three objects whose jitter ranges leave no gap for a fourth.
    let message = failure(&shipped("warehouse_shelves"), Axis::Distractors, 1.0);
    assert!(message.contains("found no free place"), "{message}");
    assert!(message.contains("board_mid"), "{message}");
}

#[test]
fn too_many_distractors_fail() {
    let message = failure(&mugs(), Axis::Distractors, 200.0);
    assert!(message.contains("found no free place"), "{message}");
    assert!(message.contains("distractors=200"), "{message}");
    assert!(message.contains("smaller count"), "{message}");
}
