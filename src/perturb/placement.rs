//! Checks a perturbed scene with the scene validator, which reports overlaps, overhangs,
//! cuts into other supports and an unreachable target.

use std::path::PathBuf;

use anyhow::Context;

use crate::scene::{Diagnostic, LoadedScene, Object, Scene, Support, ValidationContext, validate};

/// Validates `scene` as if it were a file, and returns every problem found.
pub fn problems(scene: &Scene, context: &ValidationContext) -> anyhow::Result<Vec<Diagnostic>> {
    let source = to_ron(scene)?;
    let loaded = LoadedScene {
        scene: scene.clone(),
        path: PathBuf::from(format!("{}.ron (perturbed)", scene.name)),
        source,
        sha256: String::new(),
    };
    Ok(validate(&loaded, context))
}

/// Serialises a scene in the layout of the files under scenes/.
pub fn to_ron(scene: &Scene) -> anyhow::Result<String> {
    let config = ron::ser::PrettyConfig::new()
        .struct_names(true)
        .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
    Ok(ron::ser::to_string_pretty(scene, config)?)
}

/// Returns the messages of `problems`, one per line, for error messages.
pub fn listing(problems: &[Diagnostic]) -> String {
    problems
        .iter()
        .map(|d| format!("  {}: {}", d.path, d.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Returns the scene's target object and the support it is placed on.
pub fn target_and_support(scene: &Scene) -> anyhow::Result<(&Object, &Support)> {
    let target = scene.objects.iter().find(|o| o.id == scene.target).with_context(|| {
        format!("the target {:?} is not an object of the scene; run `pickloop scene check`", scene.target)
    })?;
    let support = scene.supports.iter().find(|s| s.id == target.on).with_context(|| {
        format!(
            "the target's support {:?} is not a support of the scene; run `pickloop scene check`",
            target.on
        )
    })?;
    Ok((target, support))
}
