//! `pickloop run`: headless episodes with a progress bar and evidence rows.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use indicatif::ProgressStyle;
use tracing::{info, info_span, warn};
use tracing_indicatif::span_ext::IndicatifSpanExt;

use pickloop::episode::{EpisodeSpec, EvidenceWriter, SceneSession};

use super::check::load_checked;
use super::perception::PerceptionArgs;
use super::rates::RateArgs;
use super::summary::Summary;
use super::{EXIT_ERROR, EXIT_GATE_FAILED};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scene files (RON) to run.
    #[arg(required = true)]
    pub scenes: Vec<PathBuf>,
    /// Episodes per scene.
    #[arg(long, default_value_t = 10)]
    pub episodes: u64,
    /// Seed of the first episode; episode `i` uses `seed + i`. Defaults to each scene's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub perception: PerceptionArgs,
    /// Directory that receives `evidence.jsonl` (appended) and `summary.md`.
    #[arg(long, default_value = "runs")]
    pub out: PathBuf,
    /// Write every perception frame as PNG (RGB, 16-bit depth in millimetres, 16-bit ids).
    #[arg(long, value_name = "DIR")]
    pub save_frames: Option<PathBuf>,
    /// Exit with status 1 when any scene's success rate is below this share (0..=1).
    #[arg(long, value_name = "RATE")]
    pub min_success: Option<f64>,
    #[command(flatten)]
    pub rates: RateArgs,
    /// Frame size `WIDTHxHEIGHT` in pixels; overrides the scene's `image`.
    #[arg(long, value_parser = parse_resolution)]
    pub resolution: Option<(u32, u32)>,
}

pub fn run(args: &RunArgs, assets: &Path) -> anyhow::Result<ExitCode> {
    if let Some(rate) = args.min_success
        && !(0.0..=1.0).contains(&rate)
    {
        bail!("--min-success {rate} is outside 0..=1; pass a share such as 0.95");
    }
    let perception = args.perception.load()?;
    let mut writer = EvidenceWriter::create(&args.out)?;
    let mut summary = Summary::default();
    let mut had_errors = false;

    for scene_path in &args.scenes {
        let (mut loaded, arm) = load_checked(scene_path, assets)?;
        let scene_rates = args.rates.apply(loaded.scene.rates)?;
        if let Some((width, height)) = args.resolution {
            loaded.scene.image = pickloop::scene::ImageSize { width, height };
        }
        let base_seed = args.seed.unwrap_or(loaded.scene.seed);
        let name = loaded.scene.name.clone();
        let mut session = SceneSession::new(loaded, arm, scene_rates, assets)
            .with_context(|| format!("cannot prepare scene {}", scene_path.display()))?;

        let span = info_span!("episodes", scene = %name);
        span.pb_set_style(
            &ProgressStyle::with_template("{span_child_prefix}{msg} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta}")
                .expect("the progress template is valid")
                .progress_chars("=> "),
        );
        span.pb_set_length(args.episodes);
        span.pb_set_message(&name);
        let _entered = span.enter();
        for episode in 0..args.episodes {
            let spec = EpisodeSpec {
                episode,
                seed: base_seed + episode,
                perception: perception.clone(),
                save_frames: args.save_frames.clone(),
                frame_effects: Default::default(),
                record_frames: false,
            };
            let row = session.run(&spec);
            writer.append(&row)?;
            let outcome = &row.outcome;
            info!(
                scene = %name,
                episode,
                seed = spec.seed,
                success = outcome.success,
                failure = outcome.failure.map(|k| k.as_str()).unwrap_or("-"),
                sim_s = format!("{:.2}", row.sim_time_s),
                wall_s = format!("{:.2}", row.wall_time_s),
                "episode finished"
            );
            had_errors |= outcome.failure == Some(pickloop::episode::FailureKind::Error);
            summary.add(&row);
            span.pb_inc(1);
        }
    }

    let table = summary.to_markdown();
    println!("{table}");
    let summary_path = args.out.join("summary.md");
    std::fs::write(&summary_path, &table)
        .with_context(|| format!("cannot write {}", summary_path.display()))?;
    info!("evidence rows appended to {}", writer.path().display());

    if had_errors {
        warn!("some episodes could not run; their rows have failure kind `error`");
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    if let Some(rate) = args.min_success {
        let failing = summary.below(rate);
        if !failing.is_empty() {
            for (group, observed) in failing {
                warn!("{group}: success rate {observed:.3} is below --min-success {rate}");
            }
            return Ok(ExitCode::from(EXIT_GATE_FAILED));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub(super) fn parse_resolution(text: &str) -> Result<(u32, u32), String> {
    let invalid = || format!("invalid resolution {text:?}; write WIDTHxHEIGHT in pixels, e.g. 224x224");
    let (width, height) = text.split_once('x').ok_or_else(invalid)?;
    let width: u32 = width.trim().parse().map_err(|_| invalid())?;
    let height: u32 = height.trim().parse().map_err(|_| invalid())?;
    if width == 0 || height == 0 {
        return Err(invalid());
    }
    Ok((width, height))
}
