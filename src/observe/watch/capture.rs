//! The `--screenshot` PNG of the window and the `--exit-when-done` quit, for unattended runs.

use std::path::PathBuf;

use bevy::diagnostic::FrameCount;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use tracing::{debug, error, info, warn};

use super::ReportHandle;
use super::driver::{EpisodeStatus, EpisodeSystems};

/// Frames the window renders before a screenshot may be taken. Under Xvfb with lavapipe the
/// first frame after the window opens comes back black.
const FRAMES_BEFORE_SCREENSHOT: u32 = 3;
/// Blank (single-colour) captures retaken before the blank image is written anyway. On a
/// loaded machine the window can stay black for more than the first few frames.
const MAX_BLANK_RETRIES: u32 = 60;

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
    blank_retries: u32,
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
            blank_retries: 0,
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
    if is_blank(&captured.image.data) && plan.blank_retries < MAX_BLANK_RETRIES {
        plan.blank_retries += 1;
        debug!(retry = plan.blank_retries, "the window image is blank; taking the screenshot again");
        plan.state = ScreenshotState::Waiting;
        return;
    }
    if plan.blank_retries == MAX_BLANK_RETRIES {
        warn!("the window stayed blank for {MAX_BLANK_RETRIES} retries; writing it as it is");
    }
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

/// Returns whether every RGBA pixel of a captured window image has the same value.
fn is_blank(data: &Option<Vec<u8>>) -> bool {
    let Some(bytes) = data else {
        return true;
    };
    let mut pixels = bytes.chunks_exact(4);
    let Some(first) = pixels.next() else {
        return true;
    };
    pixels.all(|pixel| pixel == first)
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
