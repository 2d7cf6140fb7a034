//! Steps the episode with wall-clock time and the keyboard, and publishes its state for the
//! systems that draw it.

use std::time::{Duration, Instant};

use bevy::prelude::*;
use tracing::{error, info, warn};

use super::ReportHandle;
use crate::act::arm::ArmModel;
use crate::act::controller::Phase;
use crate::episode::{EpisodeRun, EpisodeSpec, Outcome, SceneSession};
use crate::observe::CameraPose;
use crate::observe::render::BodyPose;

/// Wall-clock time per window frame that stepping may use. When the steps due in a frame take
/// longer, the episode falls behind real time instead of skipping steps or freezing the window.
const STEP_BUDGET_PER_FRAME: Duration = Duration::from_millis(40);

/// Registers the systems that step the episode. The `!Send` [`EpisodeDriver`] and the first
/// [`EpisodeStatus`] are inserted by the caller, because a plugin must be `Send`.
pub(super) struct DriverPlugin;

impl Plugin for DriverPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Playback>().add_systems(
            Update,
            (
                handle_keys,
                advance_in_real_time,
                record_outcome,
                publish_status,
            )
                .chain()
                .in_set(EpisodeSystems),
        );
    }
}

/// Systems that step the episode. Systems that draw it run after this set.
#[derive(SystemSet, Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct EpisodeSystems;

/// The running episode and the session whose headless renderer makes its perception frames.
///
/// It is `!Send` because the headless renderer is a Bevy app of its own, so systems reach it
/// as a `NonSend` resource on the main thread.
pub(super) struct EpisodeDriver {
    session: SceneSession,
    spec: EpisodeSpec,
    run: EpisodeRun,
    started: Instant,
    recorded: bool,
}

impl EpisodeDriver {
    pub fn new(session: SceneSession, spec: EpisodeSpec) -> anyhow::Result<Self> {
        let run = EpisodeRun::new(
            &session.loaded.scene,
            &session.arm,
            session.rates,
            spec.clone(),
        )?;
        Ok(Self {
            session,
            spec,
            run,
            started: Instant::now(),
            recorded: false,
        })
    }

    pub fn arm(&self) -> &ArmModel {
        &self.session.arm
    }

    /// Starts the episode again from step 0 with the same seed.
    fn restart(&mut self) -> anyhow::Result<()> {
        let scene = &self.session.loaded.scene;
        self.run = EpisodeRun::new(
            scene,
            &self.session.arm,
            self.session.rates,
            self.spec.clone(),
        )?;
        self.started = Instant::now();
        self.recorded = false;
        Ok(())
    }

    /// Physics steps taken in the current play.
    pub fn step(&self) -> u64 {
        self.run.step()
    }

    pub fn physics_steps_per_control_tick(&self) -> u64 {
        self.run.physics_steps_per_control_tick()
    }

    fn finished(&self) -> bool {
        self.run.outcome().is_some()
    }

    /// Advances one physics step with `SceneSession::step`, the step of `pickloop run`. An
    /// error ends the episode with an `error` outcome.
    fn step_once(&mut self) {
        if let Err(error) = self.session.step(&mut self.run) {
            warn!(seed = self.spec.seed, "episode failed: {error:#}");
            self.run.fail(&error);
        }
    }

    /// Steps up to the next control step, or to the outcome if it comes first.
    fn step_control_tick(&mut self) {
        let every = self.physics_steps_per_control_tick();
        loop {
            self.step_once();
            if self.finished() || self.step() % every == 0 {
                break;
            }
        }
    }

    pub fn status(&self, paused: bool) -> EpisodeStatus {
        EpisodeStatus {
            time_s: self.run.time_s(),
            phase: self.run.phase(),
            outcome: self.run.outcome().cloned(),
            paused,
            body_poses: self.run.body_poses(),
            view_pose: self.run.view_camera(&self.session.loaded.scene).pose,
        }
    }
}

/// State of the episode at the current window frame, for the systems that draw it.
#[derive(Resource, Debug, Clone)]
pub(super) struct EpisodeStatus {
    /// Simulated time, seconds.
    pub time_s: f32,
    pub phase: Phase,
    pub outcome: Option<Outcome>,
    pub paused: bool,
    /// Poses of supports, objects and arm links, in the order of `episode_bodies`.
    pub body_poses: Vec<BodyPose>,
    /// Pose of the perception camera now.
    pub view_pose: CameraPose,
}

/// Pause state and the simulated time that wall-clock time has reached.
#[derive(Resource, Debug, Default)]
struct Playback {
    paused: bool,
    /// Simulated time the episode should have reached, seconds.
    target_time_s: f64,
    /// Control ticks requested with N or Right while paused.
    pending_ticks: u32,
}

fn handle_keys(
    keys: Res<ButtonInput<KeyCode>>,
    mut playback: ResMut<Playback>,
    mut driver: NonSendMut<EpisodeDriver>,
    mut exit: MessageWriter<AppExit>,
) {
    if keys.any_just_pressed([KeyCode::Escape, KeyCode::KeyQ]) {
        info!("quit requested from the keyboard");
        exit.write(AppExit::Success);
        return;
    }
    if keys.just_pressed(KeyCode::Space) {
        playback.paused = !playback.paused;
        // Resuming continues from the current simulated time, not from where wall time went.
        playback.target_time_s = f64::from(driver.run.time_s());
        info!(
            paused = playback.paused,
            time_s = driver.run.time_s(),
            "playback toggled"
        );
    }
    if playback.paused && keys.any_just_pressed([KeyCode::KeyN, KeyCode::ArrowRight]) {
        playback.pending_ticks += 1;
    }
    if keys.just_pressed(KeyCode::KeyR) {
        match driver.restart() {
            Ok(()) => {
                playback.target_time_s = 0.0;
                playback.pending_ticks = 0;
                info!(seed = driver.spec.seed, "episode restarted");
            }
            Err(error) => error!(
                seed = driver.spec.seed,
                "cannot restart the episode: {error:#}"
            ),
        }
    }
}

/// Advances the episode to the simulated time that wall-clock time has reached, within
/// [`STEP_BUDGET_PER_FRAME`]. While paused, it runs only the requested single control ticks.
fn advance_in_real_time(
    time: Res<Time<Real>>,
    mut playback: ResMut<Playback>,
    mut driver: NonSendMut<EpisodeDriver>,
) {
    if playback.paused {
        while playback.pending_ticks > 0 && !driver.finished() {
            driver.step_control_tick();
            playback.pending_ticks -= 1;
        }
        playback.pending_ticks = 0;
        return;
    }
    if driver.finished() {
        return;
    }

    let physics_hz = f64::from(driver.session.rates.physics_hz);
    playback.target_time_s += time.delta_secs_f64();
    let target_step = (playback.target_time_s * physics_hz).floor() as u64;
    let started = Instant::now();
    while driver.step() < target_step && !driver.finished() {
        if started.elapsed() > STEP_BUDGET_PER_FRAME {
            // Behind real time: drop the backlog so the episode slows down instead of skipping.
            playback.target_time_s = driver.step() as f64 / physics_hz;
            break;
        }
        driver.step_once();
    }
}

/// Logs the outcome of a finished play and adds its evidence row to the report, once per play.
fn record_outcome(mut driver: NonSendMut<EpisodeDriver>, report: Res<ReportHandle>) {
    if driver.recorded || !driver.finished() {
        return;
    }
    driver.recorded = true;
    let row = driver
        .session
        .evidence_row(&driver.run, driver.started.elapsed().as_secs_f32());
    let outcome = &row.outcome;
    info!(
        scene = %row.scene.name,
        seed = row.seed,
        perception = %row.perception.name,
        success = outcome.success,
        failure = outcome.failure.map(|kind| kind.as_str()).unwrap_or("-"),
        sim_s = format!("{:.2}", row.sim_time_s),
        detail = %outcome.detail,
        "episode finished"
    );
    report
        .0
        .lock()
        .expect("no system panicked holding the report")
        .rows
        .push(row);
}

fn publish_status(
    driver: NonSend<EpisodeDriver>,
    playback: Res<Playback>,
    mut status: ResMut<EpisodeStatus>,
) {
    *status = driver.status(playback.paused);
}
