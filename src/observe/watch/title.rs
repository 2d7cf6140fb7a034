//! The window title: scene, seed, simulated time, controller phase and, at the end, the outcome.

use bevy::prelude::*;
use bevy::window::PrimaryWindow;

use super::driver::{EpisodeStatus, EpisodeSystems};

/// Keeps the primary window's title in step with the episode.
pub(super) struct TitlePlugin {
    pub scene: String,
    pub seed: u64,
    pub perception: String,
}

impl Plugin for TitlePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(TitleContext {
            scene: self.scene.clone(),
            seed: self.seed,
            perception: self.perception.clone(),
        })
        .add_systems(Update, update_title.after(EpisodeSystems));
    }
}

/// The parts of the title that do not change while the window is open.
#[derive(Resource)]
struct TitleContext {
    scene: String,
    seed: u64,
    perception: String,
}

/// Title shown before the first frame.
pub(super) fn initial_title(scene: &str, seed: u64) -> String {
    format!("pickloop watch: {scene}, seed {seed}")
}

fn update_title(
    context: Res<TitleContext>,
    status: Res<EpisodeStatus>,
    mut window: Single<&mut Window, With<PrimaryWindow>>,
) {
    let title = title_text(&context, &status);
    if window.title != title {
        window.title = title;
    }
}

fn title_text(context: &TitleContext, status: &EpisodeStatus) -> String {
    let state = match &status.outcome {
        Some(outcome) if outcome.success => "success".to_owned(),
        Some(outcome) => {
            let kind = outcome.failure.map_or("unknown", |kind| kind.as_str());
            format!("failure: {kind}")
        }
        None if status.paused => format!("{:?}, paused", status.phase),
        None => format!("{:?}", status.phase),
    };
    format!(
        "{}, {}, t = {:.2} s, {state}",
        initial_title(&context.scene, context.seed),
        context.perception,
        status.time_s,
    )
}
