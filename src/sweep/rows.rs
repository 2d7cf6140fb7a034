//! Evidence rows for sweep jobs whose episode never produced one: the worker panicked, hung
//! past its limit or could not prepare the scene or perception.

use crate::episode::record::{CameraView, PerceptionRef, RatesRecord, SceneRef};
use crate::episode::{EvidenceRow, FailureKind, Outcome};
use crate::observe::Intrinsics;
use crate::scene::LoadedScene;

use super::plan::Job;

/// Builds the `error` row of `job` on its base scene `loaded`, with `detail` saying what
/// happened and `wall_time_s` the time spent on it.
pub fn error_row(job: &Job, loaded: &LoadedScene, detail: String, wall_time_s: f32) -> EvidenceRow {
    let scene = &loaded.scene;
    let fov_y_deg = scene
        .cameras
        .iter()
        .find(|camera| camera.id == scene.view)
        .map_or(0.0, |camera| camera.fov_y_deg);
    EvidenceRow {
        pickloop_version: env!("CARGO_PKG_VERSION").to_owned(),
        scene: SceneRef {
            name: scene.name.clone(),
            file: loaded.path.clone(),
            sha256: loaded.sha256.clone(),
        },
        episode: job.episode,
        seed: job.seed,
        perception: PerceptionRef {
            name: job.perception.perception.clone(),
            privileged: job.perception.perception == "oracle",
            config: serde_json::Value::Null,
        },
        instruction: scene.instruction.clone(),
        target: scene.target.clone(),
        camera: CameraView {
            id: scene.view.clone(),
            intrinsics: Intrinsics::from_vertical_fov(scene.image, fov_y_deg.to_radians()),
            pose_at_decision: None,
        },
        decision: None,
        perturbation: job.perturbations.iter().filter(|p| p.magnitude != 0.0).map(|p| p.label()).collect(),
        actions: Vec::new(),
        confidence_timeline: Vec::new(),
        perception_events: Vec::new(),
        outcome: Outcome::failed(FailureKind::Error, detail, 0.0),
        rates: RatesRecord {
            physics_hz: scene.rates.physics_hz,
            control_hz: scene.rates.control_hz,
            perception_hz: scene.rates.perception_hz,
        },
        sim_time_s: 0.0,
        wall_time_s,
        sweep: Some(job.tag()),
    }
}
