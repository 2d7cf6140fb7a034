//! Checks a perturbed scene with the scene validator, which reports overlaps, overhangs,
//! cuts into other supports and an unreachable target.

use std::path::PathBuf;

use crate::scene::{Diagnostic, LoadedScene, Scene, ValidationContext, validate};

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
