//! `pickloop scene check`, and the scene loading that every command shares.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use pickloop::act::arm::ArmModel;
use pickloop::scene::{load_scene, validate, Diagnostic, LoadedScene, ReachLimits, ValidationContext};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Scene files (RON) to validate.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

pub fn check(args: &CheckArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    let mut invalid = 0usize;
    for file in &args.files {
        match load_and_validate(file, assets) {
            Ok(_) => println!("{}: ok", file.display()),
            Err(diagnostics) => {
                invalid += 1;
                for diagnostic in &diagnostics {
                    eprintln!("{diagnostic}");
                }
                eprintln!("{}: {} problem(s)", file.display(), diagnostics.len());
            }
        }
    }
    if invalid > 0 {
        eprintln!("{invalid} of {} scene file(s) have problems", args.files.len());
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses a scene, loads the arm it names, and validates the scene against that arm's reach.
pub fn load_and_validate(file: &Path, assets: &Path) -> Result<(LoadedScene, ArmModel), Vec<Diagnostic>> {
    let loaded = load_scene(file).map_err(|error| vec![error.to_diagnostic()])?;
    let urdf = assets.join(&loaded.scene.robot.urdf);
    let arm = ArmModel::load(&urdf).map_err(|error| {
        let position = pickloop::scene::locate::SourceMap::new(&loaded.source).position_or_ancestor("robot.urdf");
        vec![Diagnostic {
            file: file.to_path_buf(),
            line: position.line,
            column: position.column,
            path: "robot.urdf".to_owned(),
            message: format!("cannot load the robot description: {error}"),
            value: Some(urdf.display().to_string()),
            fix: "point robot.urdf at a URDF file relative to the assets directory (--assets)".to_owned(),
        }]
    })?;
    let ctx = ValidationContext {
        assets_dir: assets.to_path_buf(),
        reach: ReachLimits {
            shoulder_offset: arm.shoulder_position(),
            max_reach_m: arm.max_reach_m(),
            min_reach_m: arm.min_reach_m(),
        },
    };
    let diagnostics = validate(&loaded, &ctx);
    if diagnostics.is_empty() {
        Ok((loaded, arm))
    } else {
        Err(diagnostics)
    }
}

/// [`load_and_validate`] for commands that stop on an invalid scene.
pub fn load_checked(file: &Path, assets: &Path) -> anyhow::Result<(LoadedScene, ArmModel)> {
    if !file.is_file() {
        anyhow::bail!(
            "scene file {} not found; pass the path of a RON scene file, e.g. scenes/tabletop_mugs.ron",
            file.display()
        );
    }
    load_and_validate(file, assets).map_err(|diagnostics| {
        let listing: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        anyhow::anyhow!(
            "scene {} is invalid ({} problem(s)); run `pickloop scene check` on it:\n{}",
            file.display(),
            diagnostics.len(),
            listing.join("\n")
        )
    })
}
