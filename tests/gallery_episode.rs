//! The failure gallery of a real episode: rendering, random perception and the arm, with every
//! perception frame recorded, written to a temporary directory and read back.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use image::codecs::gif::GifDecoder;
use image::AnimationDecoder;
use pickloop::act::arm::ArmModel;
use pickloop::episode::{EpisodeRun, EpisodeSpec, SceneSession};
use pickloop::gallery::{overlay_scale, write_episode, GIF_MAX_FRAMES, LAST_FRAME_HOLD_MS};
use pickloop::perception::PerceptionConfig;
use pickloop::scene::load_scene;

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

#[test]
fn random_episode_gallery_decodes() {
    let loaded = load_scene(&repo_path("scenes/tabletop_mugs.ron")).expect("shipped scene parses");
    let assets = repo_path("assets");
    let arm = ArmModel::load(assets.join(&loaded.scene.robot.urdf)).expect("shipped arm loads");
    let rates = loaded.scene.rates;
    let seed = loaded.scene.seed;
    let mut session = SceneSession::new(loaded, arm, rates, &assets).expect("renderer starts");
    let spec = EpisodeSpec {
        episode: 0,
        seed,
        perception: PerceptionConfig::named("random"),
        save_frames: None,
        frame_effects: Default::default(),
        record_frames: true,
    };
    let mut run = EpisodeRun::new(&session.loaded.scene, &session.arm, session.rates, spec).unwrap();
    while run.outcome().is_none() {
        session.step(&mut run).unwrap();
    }
    let row = session.evidence_row(&run, 0.0);
    let frames = &run.frames;
    assert!(frames.len() >= 2, "{} recorded frames", frames.len());

    let dir = tempfile::tempdir().unwrap();
    let files = write_episode(&dir.path().join("episode0"), frames, &row).unwrap();

    let (width, height) = frames[0].rgb.dimensions();
    let scale = overlay_scale(width);
    for path in [&files.first, &files.decision, &files.last] {
        let image = image::open(path).unwrap_or_else(|e| panic!("{} does not decode: {e}", path.display()));
        assert_eq!(image.width(), width * scale, "{}", path.display());
        assert!(image.height() > height * scale, "{} has no caption strip", path.display());
    }
    assert_ne!(
        std::fs::read(&files.first).unwrap(),
        std::fs::read(&files.last).unwrap(),
        "first and last frames differ in time and phase"
    );

    let file = std::fs::File::open(&files.gif).unwrap();
    let gif_frames = GifDecoder::new(BufReader::new(file)).unwrap().into_frames().collect_frames().unwrap();
    assert_eq!(gif_frames.len(), frames.len().min(GIF_MAX_FRAMES));
    let last_delay = gif_frames.last().unwrap().delay().numer_denom_ms();
    assert_eq!(last_delay, (LAST_FRAME_HOLD_MS, 1));
    let perception_period_ms = (1000.0 / rates.perception_hz).round() as u32;
    if frames.len() <= GIF_MAX_FRAMES {
        let first_delay = gif_frames[0].delay().numer_denom_ms();
        assert_eq!(first_delay, (perception_period_ms, 1), "frames are one perception period apart");
    }
}
