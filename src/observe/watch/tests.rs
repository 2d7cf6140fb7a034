//! The keyboard controls of the episode driver, in an app without a window. Wall-clock time
//! never advances here, so only the keys move the episode.

use std::path::Path;

use bevy::prelude::*;

use super::ReportHandle;
use super::driver::{DriverPlugin, EpisodeDriver, EpisodeStatus};
use crate::act::arm::ArmModel;
use crate::episode::{EpisodeSpec, SceneSession};
use crate::scene::load_scene;

fn driver_app() -> App {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let assets = root.join("assets");
    let loaded = load_scene(&root.join("scenes/tabletop_mugs.ron")).expect("the scene loads");
    let arm = ArmModel::load(assets.join(&loaded.scene.robot.urdf)).expect("the arm loads");
    let rates = loaded.scene.rates;
    let session =
        SceneSession::new(loaded, arm, rates, &assets).expect("the headless renderer starts");
    let spec = EpisodeSpec {
        episode: 0,
        seed: 1000,
        perception: crate::perception::PerceptionConfig::named("oracle"),
        save_frames: None,
        frame_effects: Default::default(),
        record_frames: false,
    };
    let driver = EpisodeDriver::new(session, spec).expect("the episode starts");

    let mut app = App::new();
    app.init_resource::<ButtonInput<KeyCode>>()
        .init_resource::<Time<Real>>()
        .add_message::<AppExit>()
        .insert_resource(ReportHandle::default())
        .insert_resource(driver.status(false))
        .insert_non_send(driver)
        .add_plugins(DriverPlugin);
    app.update();
    app
}

/// Presses `key` for one update.
fn tap(app: &mut App, key: KeyCode) {
    app.world_mut()
        .resource_mut::<ButtonInput<KeyCode>>()
        .press(key);
    app.update();
    let mut keys = app.world_mut().resource_mut::<ButtonInput<KeyCode>>();
    keys.release(key);
    keys.clear();
}

fn step(app: &App) -> u64 {
    app.world().non_send::<EpisodeDriver>().step()
}

fn control_period(app: &App) -> u64 {
    app.world()
        .non_send::<EpisodeDriver>()
        .physics_steps_per_control_tick()
}

#[test]
fn space_pauses_and_resumes() {
    let mut app = driver_app();
    assert!(!app.world().resource::<EpisodeStatus>().paused);

    tap(&mut app, KeyCode::Space);
    assert!(app.world().resource::<EpisodeStatus>().paused);

    tap(&mut app, KeyCode::Space);
    assert!(!app.world().resource::<EpisodeStatus>().paused);
}

#[test]
fn step_keys_advance_one_control_tick() {
    let mut app = driver_app();
    let period = control_period(&app);
    assert_eq!(step(&app), 0);

    tap(&mut app, KeyCode::KeyN);
    assert_eq!(step(&app), 0, "N steps only while paused");

    tap(&mut app, KeyCode::Space);
    tap(&mut app, KeyCode::KeyN);
    assert_eq!(step(&app), period);
    tap(&mut app, KeyCode::ArrowRight);
    assert_eq!(step(&app), 2 * period);

    let time_s = app.world().resource::<EpisodeStatus>().time_s;
    assert!(
        time_s > 0.0,
        "the published status shows time {time_s} after two ticks"
    );
}

#[test]
fn r_restarts_from_step_zero() {
    let mut app = driver_app();
    tap(&mut app, KeyCode::Space);
    for _ in 0..3 {
        tap(&mut app, KeyCode::KeyN);
    }
    assert!(step(&app) > 0);

    tap(&mut app, KeyCode::KeyR);
    assert_eq!(step(&app), 0);
    assert_eq!(app.world().resource::<EpisodeStatus>().time_s, 0.0);
}

#[test]
fn escape_and_q_quit() {
    for key in [KeyCode::Escape, KeyCode::KeyQ] {
        let mut app = driver_app();
        tap(&mut app, key);
        let exits = app.world().resource::<Messages<AppExit>>();
        assert!(!exits.is_empty(), "{key:?} sent no AppExit");
    }
}
