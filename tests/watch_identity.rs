//! `pickloop watch` plays the same episode as `pickloop run`: perception gets the same frames,
//! so the evidence rows agree in everything but wall-clock time.

mod watch_support;

use serde_json::Value;
use watch_support::{assert_success, lock_display, pickloop, pickloop_under_xvfb, repo_path};

/// Small, because only the episode matters here and the window renders on the CPU.
const WINDOW_SIZE: &str = "320x200";

fn single_row(dir: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(dir.join("evidence.jsonl")).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows.len(),
        1,
        "expected one evidence row in {}",
        dir.display()
    );
    let mut row: Value = serde_json::from_str(rows[0]).unwrap();
    row.as_object_mut().unwrap().remove("wall_time_s");
    row
}

fn assert_same_episode(perception: &str, seed: &str) {
    let _display = lock_display();
    let dir = tempfile::tempdir().unwrap();
    let scene = repo_path("scenes/tabletop_mugs.ron");
    let scene = scene.to_str().unwrap();
    let run_dir = dir.path().join("run");
    let watch_dir = dir.path().join("watch");

    let run = pickloop(&[
        "run",
        scene,
        "--seed",
        seed,
        "--episodes",
        "1",
        "--perception",
        perception,
        "--out",
        run_dir.to_str().unwrap(),
    ]);
    assert_success("pickloop run", &run);
    let watch = pickloop_under_xvfb(&[
        "watch",
        scene,
        "--seed",
        seed,
        "--perception",
        perception,
        "--window-size",
        WINDOW_SIZE,
        "--exit-when-done",
        "--out",
        watch_dir.to_str().unwrap(),
    ]);
    assert_success("pickloop watch", &watch);

    let headless = single_row(&run_dir);
    let windowed = single_row(&watch_dir);
    assert_eq!(windowed["outcome"], headless["outcome"], "outcomes differ");
    assert_eq!(
        windowed["decision"]["chosen"], headless["decision"]["chosen"],
        "chosen candidates differ"
    );
    assert_eq!(
        windowed["decision"], headless["decision"],
        "decisions differ"
    );
    assert_eq!(windowed, headless, "evidence rows differ");
}

#[test]
fn oracle_matches_run() {
    assert_same_episode("oracle", "1000");
}

#[test]
fn random_matches_run() {
    assert_same_episode("random", "1003");
}
