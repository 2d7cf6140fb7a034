//! `pickloop bench encoders` through the binary: the table and the flag checks.

use std::process::{Command, Output};

fn pickloop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("the pickloop binary runs")
}

#[test]
fn bench_encoders_prints_table() {
    let args = [
        "bench",
        "encoders",
        "--model",
        "dinov2-small",
        "--batch",
        "1,2",
        "--repetitions",
        "1",
        "--warm-up",
        "0",
        "--matmul-repetitions",
        "1",
    ];

    let output = pickloop(&args);

    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "stderr: {}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("threads: 1 "), "{stdout}");
    assert!(stdout.contains("GFLOP/s best"), "{stdout}");
    assert!(stdout.contains("| dinov2-small | 1 |"), "{stdout}");
    assert!(stdout.contains("| dinov2-small | 2 |"), "{stdout}");
    assert!(stdout.contains("| 12.25 |"), "GFLOP per image from the config: {stdout}");
    assert!(!stdout.contains("siglip"), "only the chosen model runs: {stdout}");
}

#[test]
fn bench_encoders_rejects_zero_batch() {
    let output = pickloop(&["bench", "encoders", "--batch", "0"]);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("--batch"), "{stderr}");
}
