//! The `--screenshot` PNG of the window and the `--exit-when-done` quit, for unattended runs.

use std::path::PathBuf;

use bevy::diagnostic::FrameCount;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use tracing::{error, info};

use super::ReportHandle;
use super::driver::{EpisodeStatus, EpisodeSystems};

/// Frames the window renders before a screenshot may be taken. Under Xvfb with lavapipe the
/// first frame after the window opens comes back black.
const FRAMES_BEFORE_SCREENSHOT: u32 = 3;

/// Takes the screenshot and quits when asked to.
pub(super) struct CapturePlugin {
    pub plan: ScreenshotPlan,
    pub exit_when_done: bool,
}

impl Plugin for CapturePlugin {
    fn build(&self, app: &mut App) {
        app.insert_resource(self.plan.clone())
            .add_systems(Update, request_screenshot.after(EpisodeSystems));
        if self.exit_when_done {
            app.add_systems(Update, exit_when_done.after(request_screenshot));
        }
    }
}

/// Path and simulated time of the screenshot, and its progress.
#[derive(Resource, Debug, Clone)]
pub(super) struct ScreenshotPlan {
    path: Option<PathBuf>,
    at_s: Option<f32>,
    state: ScreenshotState,
}

#[derive(Debug, Clone, PartialEq)]
enum ScreenshotState {
    Waiting,
    Requested,
    Written,
    Failed(String),
}

impl ScreenshotPlan {
    pub fn new(path: Option<PathBuf>, at_s: Option<f32>) -> Self {
        Self {
            path,
            at_s,
            state: ScreenshotState::Waiting,
        }
    }

    /// Whether nothing more will be written: no screenshot was requested, or it was written or
    /// failed.
    fn settled(&self) -> bool {
        self.path.is_none()
            || matches!(
                self.state,
                ScreenshotState::Written | ScreenshotState::Failed(_)
            )
    }
}

/// Requests the screenshot in the first frame at or after the planned simulated time, or when
/// the episode ends if that comes first, but not before [`FRAMES_BEFORE_SCREENSHOT`]. The
/// frame shows the poses published this update.
fn request_screenshot(
    mut commands: Commands,
    status: Res<EpisodeStatus>,
    frames: Res<FrameCount>,
    mut plan: ResMut<ScreenshotPlan>,
) {
    if plan.path.is_none()
        || plan.state != ScreenshotState::Waiting
        || frames.0 < FRAMES_BEFORE_SCREENSHOT
    {
        return;
    }
    let time_reached = plan.at_s.is_some_and(|at_s| status.time_s >= at_s);
    if !time_reached && status.outcome.is_none() {
        return;
    }
    if let Some(at_s) = plan.at_s.filter(|_| !time_reached) {
        info!(
            at_s,
            end_s = status.time_s,
            "the episode ended before the screenshot time; taking it now"
        );
    }
    plan.state = ScreenshotState::Requested;
    commands
        .spawn(Screenshot::primary_window())
        .observe(save_screenshot);
}

fn save_screenshot(
    captured: On<ScreenshotCaptured>,
    mut plan: ResMut<ScreenshotPlan>,
    report: Res<ReportHandle>,
) {
    let path = plan
        .path
        .clone()
        .expect("a screenshot is requested only with a path");
    let written = captured
        .image
        .clone()
        .try_into_dynamic()
        .map_err(|error| format!("cannot convert the window image: {error}"))
        .and_then(|image| {
            // The alpha channel of a window image carries nothing worth keeping.
            image
                .to_rgb8()
                .save(&path)
                .map_err(|error| format!("cannot write {}: {error}", path.display()))
        });
    match written {
        Ok(()) => {
            info!(path = %path.display(), "screenshot written");
            plan.state = ScreenshotState::Written;
        }
        Err(message) => {
            error!("{message}");
            report
                .0
                .lock()
                .expect("no system panicked holding the report")
                .screenshot_error = Some(message.clone());
            plan.state = ScreenshotState::Failed(message);
        }
    }
}

fn exit_when_done(
    status: Res<EpisodeStatus>,
    plan: Res<ScreenshotPlan>,
    mut exit: MessageWriter<AppExit>,
) {
    if status.outcome.is_some() && plan.settled() {
        exit.write(AppExit::Success);
    }
}
