//! `pickloop watch`: one episode in a window, in real time.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use tracing::info;

use pickloop::episode::{EpisodeSpec, EvidenceRow, EvidenceWriter, FailureKind, SceneSession};
use pickloop::observe::watch::{WatchConfig, watch as open_window};

use super::EXIT_ERROR;
use super::check::load_checked;
use super::perception::PerceptionArgs;
use super::rates::RateArgs;
use super::run::parse_resolution;

/// Window size when `--window-size` is not given, pixels. Small, because without a GPU the
/// window renders on the CPU.
const DEFAULT_WINDOW_SIZE: &str = "960x640";

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Scene file (RON) to play.
    pub scene: PathBuf,
    /// Seed of the episode. Defaults to the scene's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub perception: PerceptionArgs,
    /// Directory whose `evidence.jsonl` receives one row per play that reaches an outcome.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Window size `WIDTHxHEIGHT` in pixels.
    #[arg(long, default_value = DEFAULT_WINDOW_SIZE, value_parser = parse_resolution)]
    pub window_size: (u32, u32),
    /// Save a PNG of the window to this file.
    #[arg(long, value_name = "FILE")]
    pub screenshot: Option<PathBuf>,
    /// Simulated time of the screenshot, seconds. Without it, or if the episode ends earlier,
    /// the screenshot shows the end of the episode.
    #[arg(long, value_name = "SECONDS", requires = "screenshot")]
    pub screenshot_at_s: Option<f32>,
    /// Quit once the episode has an outcome and the screenshot is written, and print the
    /// outcome to stdout.
    #[arg(long)]
    pub exit_when_done: bool,
    #[command(flatten)]
    pub rates: RateArgs,
}

pub fn watch(args: &WatchArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    if let Some(at_s) = args.screenshot_at_s {
        if !at_s.is_finite() || at_s < 0.0 {
            bail!("--screenshot-at-s {at_s} is not a time; pass simulated seconds >= 0, e.g. 2.5");
        }
    }
    if let Some(path) = &args.screenshot {
        let is_png = path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("png"));
        if !is_png {
            bail!("--screenshot {} must name a .png file", path.display());
        }
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| {
                format!("cannot create {} for --screenshot; pass a writable path", dir.display())
            })?;
        }
    }
    // Open the evidence file before the window, so a bad --out fails at once.
    let mut writer = args
        .out
        .as_deref()
        .map(EvidenceWriter::create)
        .transpose()?;

    let perception = args.perception.load()?;
    let (loaded, arm) = load_checked(&args.scene, assets)?;
    let rates = args.rates.apply(loaded.scene.rates)?;
    // The same episode as the first one of `pickloop run SCENE --seed S`.
    let spec = EpisodeSpec {
        episode: 0,
        seed: args.seed.unwrap_or(loaded.scene.seed),
        perception: perception.clone(),
        save_frames: None,
        frame_effects: Default::default(),
        record_frames: false,
    };
    let session = SceneSession::new(loaded, arm, rates, assets)
        .with_context(|| format!("cannot prepare scene {}", args.scene.display()))?;

    let config = WatchConfig {
        spec,
        window_size: args.window_size,
        screenshot: args.screenshot.clone(),
        screenshot_at_s: args.screenshot_at_s,
        exit_when_done: args.exit_when_done,
        assets_dir: assets.to_path_buf(),
    };
    let report = open_window(session, config)?;

    if let Some(writer) = writer.as_mut() {
        for row in &report.rows {
            writer.append(row)?;
        }
        info!(
            rows = report.rows.len(),
            "evidence rows appended to {}",
            writer.path().display()
        );
    }
    if let Some(row) = report.rows.last() {
        println!("{}", outcome_line(row));
    }
    if let Some(message) = report.screenshot_error {
        bail!("the screenshot failed: {message}");
    }
    if args.exit_when_done && report.rows.is_empty() {
        bail!("the window closed before the episode reached an outcome");
    }
    let had_error = report
        .rows
        .iter()
        .any(|row| row.outcome.failure == Some(FailureKind::Error));
    Ok(if had_error {
        ExitCode::from(EXIT_ERROR)
    } else {
        ExitCode::SUCCESS
    })
}

/// Formats an outcome as one line of `key=value` pairs that scripts can split.
fn outcome_line(row: &EvidenceRow) -> String {
    let result = match row.outcome.failure {
        None => "success",
        Some(kind) => kind.as_str(),
    };
    format!(
        "outcome scene={} seed={} perception={} result={result} sim_s={:.2}",
        row.scene.name, row.seed, row.perception.name, row.outcome.time_s
    )
}
