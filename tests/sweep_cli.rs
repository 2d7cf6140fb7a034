//! `pickloop sweep` on small sweeps of the oracle and random baselines: rows per job, errors
//! for panicking and hanging episodes, resume after kill -9, and shards.

mod cli_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use cli_support::{assert_success, pickloop};
use serde_json::Value;

const SCENE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/tabletop_mugs.ron");

/// Writes a sweep of `episodes` seeds over the base scene and two axes with the two baselines:
/// 6 jobs per episode.
fn write_sweep(dir: &Path, name: &str, episodes: u64) -> PathBuf {
    let path = dir.join(format!("{name}.ron"));
    let text = format!(
        r#"Sweep(
    name: "{name}",
    scenes: ["{SCENE}"],
    episodes: {episodes},
    perceptions: [
        (label: "oracle", perception: "oracle", baseline: true),
        (label: "random", perception: "random", baseline: true),
    ],
    axes: [
        (axis: camera_azimuth, magnitudes: [15]),
        (axis: pixel_noise, magnitudes: [6]),
    ],
    gallery: false,
)"#
    );
    std::fs::write(&path, text).expect("the sweep file is written");
    path
}

fn rows(out: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(out.join("evidence.jsonl")).unwrap_or_default();
    text.lines().map(|line| serde_json::from_str(line).expect("every line is a row")).collect()
}

fn keys(rows: &[Value]) -> BTreeSet<String> {
    rows.iter().map(|row| row["sweep"]["job"].as_str().expect("rows carry a job key").to_owned()).collect()
}

/// Job keys of the plan, from `sweep --list`.
fn planned_keys(sweep: &Path, shard: &str) -> BTreeSet<String> {
    let output = pickloop(&["sweep", sweep.to_str().unwrap(), "--out", "unused", "--list", "--shard", shard]);
    assert_success(&output, "sweep --list");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|line| line.split('\t').nth(1).expect("a key column").to_owned())
        .collect()
}

#[test]
fn sweep_records_every_job_and_faults_as_errors() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = write_sweep(dir.path(), "faults", 1);
    let out = dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .args(["--assets", concat!(env!("CARGO_MANIFEST_DIR"), "/assets"), "sweep"])
        .arg(&sweep)
        .args(["--out", out.to_str().unwrap(), "--jobs", "2", "--episode-timeout", "40"])
        .env("PICKLOOP_SWEEP_FAULT", "panic@1,hang@4")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "errors give exit 2: {}", String::from_utf8_lossy(&output.stderr));

    let rows = rows(&out);
    assert_eq!(rows.len(), 6, "one row per job");
    assert_eq!(keys(&rows), planned_keys(&sweep, "1/1"));
    let listing = pickloop(&["sweep", sweep.to_str().unwrap(), "--out", "unused", "--list"]);
    let plan: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .skip(1)
        .map(|line| line.split('\t').nth(1).unwrap().to_owned())
        .collect();
    let by_index = |index: usize| rows.iter().find(|row| row["sweep"]["job"] == plan[index].as_str()).unwrap().clone();
    let panicked = by_index(1);
    assert_eq!(panicked["outcome"]["failure"], "error");
    let detail = panicked["outcome"]["detail"].as_str().unwrap();
    assert!(detail.contains("worker"), "panic detail: {detail}");
    assert!(detail.contains("fault injected"), "panic detail: {detail}");
    let hung = by_index(4);
    assert_eq!(hung["outcome"]["failure"], "error");
    let detail = hung["outcome"]["detail"].as_str().unwrap();
    assert!(detail.contains("wall-clock limit of 40 s"), "hang detail: {detail}");
    let errors = rows.iter().filter(|row| row["outcome"]["failure"] == "error").count();
    assert_eq!(errors, 2, "only the two faulted jobs are errors");
    let tagged = &rows[0]["sweep"];
    assert_eq!(tagged["sweep"], "faults");
    assert!(tagged["baseline"].as_bool().unwrap());

    // Running again without --resume is rejected, and --resume with nothing left runs nothing.
    let again = pickloop(&["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--resume"));
    let resumed = pickloop(&["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap(), "--resume"]);
    assert_eq!(resumed.status.code(), Some(0), "{}", String::from_utf8_lossy(&resumed.stderr));
    assert_eq!(self::rows(&out).len(), 6, "a resume with every job done adds no row");
}

#[test]
fn resume_after_kill_loses_no_episode() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = write_sweep(dir.path(), "killed", 2);
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .args(["--assets", concat!(env!("CARGO_MANIFEST_DIR"), "/assets"), "sweep"])
        .arg(&sweep)
        .args(["--out", out.to_str().unwrap(), "--jobs", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while rows(&out).len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(300), "the sweep wrote 3 rows within 5 minutes");
        assert!(child.try_wait().unwrap().is_none(), "the sweep is still running when killed");
        std::thread::sleep(Duration::from_millis(200));
    }
    // SIGKILL: no handler runs, so whatever the runner had not written is lost with it.
    child.kill().unwrap();
    child.wait().unwrap();
    let before = rows(&out);
    assert!(before.len() < 12, "the kill came before the end");
    // A row torn in the middle of its write, as a kill during `write` leaves it.
    let mut text = std::fs::read_to_string(out.join("evidence.jsonl")).unwrap();
    text.push_str("{\"pickloop_version\":\"0.1.0\",\"scene\":{\"na");
    std::fs::write(out.join("evidence.jsonl"), text).unwrap();

    let resumed = pickloop(&["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2", "--resume"]);
    assert_success(&resumed, "sweep --resume");
    let after = rows(&out);
    assert_eq!(after.len(), 12, "every job has exactly one row after the resume");
    assert_eq!(keys(&after), planned_keys(&sweep, "1/1"));
    for row in &before {
        assert!(after.contains(row), "rows written before the kill are kept unchanged");
    }
}

#[test]
fn shards_split_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = write_sweep(dir.path(), "sharded", 1);
    let whole = planned_keys(&sweep, "1/1");
    let first = planned_keys(&sweep, "1/2");
    let second = planned_keys(&sweep, "2/2");
    assert_eq!(first.len() + second.len(), whole.len());
    assert!(first.is_disjoint(&second));
    assert_eq!(first.union(&second).cloned().collect::<BTreeSet<_>>(), whole);

    let out = dir.path().join("shard2");
    let output = pickloop(&["sweep", sweep.to_str().unwrap(), "--out", out.to_str().unwrap(), "--shard", "2/2"]);
    assert_success(&output, "sweep --shard 2/2");
    assert_eq!(keys(&rows(&out)), second);

    let invalid = pickloop(&["sweep", sweep.to_str().unwrap(), "--out", "unused", "--shard", "3/2"]);
    assert!(!invalid.status.success());
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("I/N"));
}
