//! Runs one episode with frame recording on and writes its gallery, to look at overlays.
//!
//! `cargo run --release --example gallery -- OUT_DIR [PERCEPTION] [SEED]` with PERCEPTION
//! `random` (the default), `oracle` or `siglip+dinov2` (the simulation checkpoints in
//! assets/models) and SEED an episode seed (the scene's base seed by default).

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use pickloop::act::arm::ArmModel;
use pickloop::episode::{EpisodeRun, EpisodeSpec, SceneSession};
use pickloop::gallery::write_episode;
use pickloop::perception::config::{PerceptionConfig, PerceptionRequest};
use pickloop::scene::load_scene;

const SCENE: &str = "scenes/tabletop_mugs.ron";

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn perception(name: &str) -> anyhow::Result<PerceptionConfig> {
    match name {
        "siglip+dinov2" => PerceptionConfig::load(&PerceptionRequest {
            name: Some(name.to_owned()),
            siglip: Some(repo_path("assets/models/siglip-sim").display().to_string()),
            dinov2: Some(repo_path("assets/models/dinov2-sim").display().to_string()),
            ..PerceptionRequest::default()
        }),
        "random" | "oracle" => Ok(PerceptionConfig::named(name)),
        other => anyhow::bail!("unknown perception {other:?}: use random, oracle or siglip+dinov2"),
    }
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter("info").init();
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().context("missing OUT_DIR: pass the gallery directory first")?);
    let perception = perception(&args.next().unwrap_or_else(|| "random".to_owned()))?;

    let loaded = load_scene(&repo_path(SCENE))?;
    let assets = repo_path("assets");
    let arm = ArmModel::load(assets.join(&loaded.scene.robot.urdf))?;
    let rates = loaded.scene.rates;
    let seed = match args.next() {
        Some(seed) => seed.parse().with_context(|| format!("invalid SEED {seed:?}: pass an integer"))?,
        None => loaded.scene.seed,
    };
    let mut session = SceneSession::new(loaded, arm, rates, &assets)?;
    let spec = EpisodeSpec {
        episode: 0,
        seed,
        perception,
        save_frames: None,
        frame_effects: Default::default(),
        record_frames: true,
    };

    let started = Instant::now();
    let mut run = EpisodeRun::new(&session.loaded.scene, &session.arm, session.rates, spec)?;
    while run.outcome().is_none() {
        session.step(&mut run)?;
    }
    let row = session.evidence_row(&run, started.elapsed().as_secs_f32());
    println!("outcome: {:?} {}", row.outcome.failure, row.outcome.detail);

    let written = Instant::now();
    let files = write_episode(&out, &run.frames, &row)?;
    println!("{} frames, gallery written in {:.2} s: {files:#?}", run.frames.len(), written.elapsed().as_secs_f32());
    Ok(())
}
