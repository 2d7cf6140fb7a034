//! Running the `pickloop` binary from tests, with the repository's assets.

use std::process::{Command, Output};

/// Runs `pickloop --assets <repository assets> ARGS...` and returns its output.
pub fn pickloop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .args(["--assets", concat!(env!("CARGO_MANIFEST_DIR"), "/assets")])
        .args(args)
        .output()
        .expect("pickloop runs")
}

/// Fails the test with both output streams unless the command exited with status 0.
#[allow(dead_code)]
pub fn assert_success(output: &Output, command: &str) {
    assert!(
        output.status.success(),
        "{command} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
