//! The watch window: one episode played in real time, seen from an overview camera, with the
//! perception camera as an inset, keyboard controls and an optional screenshot.
//!
//! The window only displays the episode. Perception frames come from the headless
//! [`Renderer`](crate::observe::render::Renderer) inside the [`SceneSession`], a second,
//! windowless Bevy app that the episode driver updates by hand. Perception therefore receives
//! exactly the frames that `pickloop run` renders, and both commands reach the same outcome for
//! a seed.

mod capture;
mod driver;
mod stage;
#[cfg(test)]
mod tests;
mod title;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context;
use bevy::prelude::*;
use bevy::render::RenderPlugin;
use bevy::window::WindowResolution;

use crate::episode::{EpisodeSpec, EvidenceRow, SceneSession};
use crate::scene::Layout;
use capture::{CapturePlugin, ScreenshotPlan};
use driver::{DriverPlugin, EpisodeDriver};
use stage::{StagePlugin, StageSetup};
use title::TitlePlugin;

/// Episode and window settings of [`watch`].
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub spec: EpisodeSpec,
    /// Window size in physical pixels.
    pub window_size: (u32, u32),
    /// PNG file that receives a screenshot of the window.
    pub screenshot: Option<PathBuf>,
    /// Simulated time of the screenshot, seconds. `None` takes it when the episode ends, and a
    /// time after the end does too.
    pub screenshot_at_s: Option<f32>,
    /// Quit once the episode has an outcome and the screenshot, if requested, is written.
    pub exit_when_done: bool,
    /// Directory that material texture paths are relative to.
    pub assets_dir: PathBuf,
}

/// Results of a watch window, available after it closes.
#[derive(Debug, Default)]
pub struct WatchReport {
    /// One evidence row per play that reached an outcome; a restart starts a new play.
    pub rows: Vec<EvidenceRow>,
    /// Error message of a requested screenshot that could not be written.
    pub screenshot_error: Option<String>,
}

/// Shared handle through which the app's systems fill the report.
#[derive(Resource, Clone, Default)]
struct ReportHandle(Arc<Mutex<WatchReport>>);

/// Opens the window, plays `config.spec` in `session` until the window closes (or until the
/// episode is done with [`WatchConfig::exit_when_done`]) and returns what happened.
pub fn watch(session: SceneSession, config: WatchConfig) -> anyhow::Result<WatchReport> {
    let scene = session.loaded.scene.clone();
    let layout = Layout::sample(&scene, config.spec.seed);
    let driver = EpisodeDriver::new(session, config.spec.clone())?;
    let start = driver.status(false);
    let setup = StageSetup::new(&scene, &layout, driver.arm(), &start, &config.assets_dir);
    let report = ReportHandle::default();
    let (width, height) = config.window_size;

    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: title::initial_title(&scene.name, config.spec.seed),
                    resolution: WindowResolution::new(width, height),
                    resizable: true,
                    ..default()
                }),
                ..default()
            })
            // Compile every pipeline before the first frame that uses it, so no frame and no
            // screenshot shows a body missing while its shader compiles.
            .set(RenderPlugin {
                synchronous_pipeline_compilation: true,
                ..default()
            }),
    )
    .add_plugins(crate::observe::render::VisualBodyPlugin)
    .add_plugins(DriverPlugin)
    .insert_resource(start)
    .insert_non_send(driver)
    .add_plugins(StagePlugin)
    .add_plugins(TitlePlugin {
        scene: scene.name.clone(),
        seed: config.spec.seed,
        perception: config.spec.perception.name.clone(),
    })
    .add_plugins(CapturePlugin {
        plan: ScreenshotPlan::new(config.screenshot.clone(), config.screenshot_at_s),
        exit_when_done: config.exit_when_done,
    })
    .insert_resource(report.clone());
    stage::spawn_stage(app.world_mut(), &setup).context("cannot build the watch window's scene")?;

    let exit = app.run();
    if let AppExit::Error(code) = exit {
        tracing::warn!(code, "the watch window closed with an error");
    }
    let report = std::mem::take(
        &mut *report
            .0
            .lock()
            .expect("no system panicked holding the report"),
    );
    Ok(report)
}
