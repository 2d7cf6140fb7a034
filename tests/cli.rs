//! The `pickloop` binary as a user runs it: exit statuses, outputs and messages.

use std::path::Path;
use std::process::{Command, Output};

fn pickloop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the pickloop binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn run_writes_evidence_and_summary() {
    let out = tempfile::tempdir().unwrap();
    let frames = tempfile::tempdir().unwrap();
    let out_dir = out.path().to_str().unwrap();
    let output = pickloop(&[
        "run",
        "scenes/tabletop_mugs.ron",
        "--episodes",
        "2",
        "--out",
        out_dir,
        "--save-frames",
        frames.path().to_str().unwrap(),
    ]);
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));

    let evidence = std::fs::read_to_string(out.path().join("evidence.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = evidence.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["seed"], 1000);
    assert_eq!(rows[1]["seed"], 1001);
    assert_eq!(rows[0]["perception"]["name"], "oracle");
    assert!(rows[0]["outcome"]["success"].is_boolean());

    let summary = std::fs::read_to_string(out.path().join("summary.md")).unwrap();
    assert!(summary.contains("| tabletop_mugs | oracle | 2 |"), "{summary}");
    assert!(text(&output.stdout).contains("tabletop_mugs"), "the table is printed too");

    let depth_files: Vec<_> = std::fs::read_dir(frames.path())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_name().to_string_lossy().ends_with("_depth.png"))
        .collect();
    assert!(!depth_files.is_empty(), "no depth frames saved");
    let depth = image::open(depth_files[0].path()).unwrap();
    assert_eq!(depth.color(), image::ColorType::L16, "depth PNGs are 16-bit");
}

#[test]
fn min_success_gate_exits_one() {
    let out = tempfile::tempdir().unwrap();
    let output = pickloop(&[
        "run",
        "scenes/tabletop_mugs.ron",
        "--episodes",
        "3",
        "--perception",
        "random",
        "--min-success",
        "1.0",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "stderr: {}", text(&output.stderr));
    assert!(text(&output.stderr).contains("below --min-success"));
}

#[test]
fn invalid_min_success_exits_two() {
    let output = pickloop(&["run", "scenes/tabletop_mugs.ron", "--min-success", "1.5", "--out", "/tmp"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("--min-success 1.5 is outside 0..=1"));
}

#[test]
fn scene_check_reports_locations() {
    let output = pickloop(&["scene", "check", "scenes/tabletop_mugs.ron", "tests/fixtures/scenes/unknown_target.ron"]);
    assert_eq!(output.status.code(), Some(1));
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert!(stdout.contains("scenes/tabletop_mugs.ron: ok"), "{stdout}");
    let first = stderr.lines().next().unwrap_or_default();
    let location = first.split(": error:").next().unwrap();
    let mut parts = location.rsplitn(3, ':');
    let column: usize = parts.next().unwrap().parse().expect("column number");
    let line: usize = parts.next().unwrap().parse().expect("line number");
    assert!(line > 0, "{first}");
    assert!(column > 0, "{first}");
    assert!(stderr.contains("fix:"), "{stderr}");
}

#[test]
fn run_rejects_invalid_scene() {
    let output = pickloop(&["run", "tests/fixtures/scenes/unknown_target.ron", "--out", "/tmp"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("pickloop scene check"), "{}", text(&output.stderr));
}

#[test]
fn missing_vulkan_driver_names_package() {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .args(["run", "scenes/tabletop_mugs.ron", "--episodes", "1", "--out"])
        .arg(out.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("mesa-vulkan-drivers"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenes").exists());
}

#[test]
fn repeated_runs_write_identical_rows() {
    let mut rows = Vec::new();
    for _ in 0..2 {
        let out = tempfile::tempdir().unwrap();
        let output = pickloop(&[
            "run",
            "scenes/tabletop_orbit.ron",
            "--episodes",
            "1",
            "--seed",
            "42",
            "--perception",
            "random",
            "--out",
            out.path().to_str().unwrap(),
        ]);
        assert!(output.status.success(), "stderr: {}", text(&output.stderr));
        let evidence = std::fs::read_to_string(out.path().join("evidence.jsonl")).unwrap();
        let mut row: serde_json::Value = serde_json::from_str(evidence.trim()).unwrap();
        row.as_object_mut().unwrap().remove("wall_time_s");
        rows.push(row);
    }
    assert_eq!(rows[0], rows[1], "two processes wrote different rows for one seed");
}

#[test]
fn scene_perturb_writes_valid_scene() {
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("mugs_cluttered.ron");
    let output = pickloop(&[
        "scene",
        "perturb",
        "scenes/tabletop_mugs.ron",
        "--axis",
        "distractors",
        "--magnitude",
        "2",
        "--axis",
        "camera_azimuth",
        "--magnitude",
        "-15",
        "--seed",
        "7",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "stderr: {}", text(&output.stderr));
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("// scenes/tabletop_mugs.ron perturbed with distractors=2, camera_azimuth=-15deg"), "{written}");
    assert!(written.contains("distractor_2"), "{written}");
    assert!(written.contains("name: \"tabletop_mugs_distractors_2_camera_azimuth_-15deg\""), "{written}");

    let check = pickloop(&["scene", "check", file.to_str().unwrap()]);
    assert!(check.status.success(), "the written scene is valid: {}", text(&check.stderr));
}

#[test]
fn scene_perturb_rejects_frame_axis() {
    let output = pickloop(&["scene", "perturb", "scenes/tabletop_mugs.ron", "--axis", "pixel_noise", "--magnitude", "4"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot be written into a scene file"), "{stderr}");
}

#[test]
fn scene_axes_lists_every_axis() {
    let output = pickloop(&["scene", "axes"]);
    assert!(output.status.success());
    let stdout = text(&output.stdout);
    for name in ["camera_azimuth", "prompt_typos", "occluder", "arm_start"] {
        assert!(stdout.contains(name), "{name} missing from:\n{stdout}");
    }
}
