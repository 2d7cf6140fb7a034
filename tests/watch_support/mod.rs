//! Running the `pickloop` binary under a virtual X server, for the watch tests.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard};

/// Screen of the virtual X server; larger than every window the tests open.
pub const XVFB_SCREEN: &str = "-screen 0 1280x800x24";

/// Serialises the tests of one binary: `xvfb-run -a` can pick the same display number for two
/// servers started at once, and two CPU-rendered windows would only slow each other down.
static DISPLAY_LOCK: Mutex<()> = Mutex::new(());

pub fn lock_display() -> MutexGuard<'static, ()> {
    DISPLAY_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// Runs `pickloop ARGS` under `xvfb-run`. Panics with the package to install when `xvfb-run`
/// is missing, because the watch window cannot be tested without an X server.
pub fn pickloop_under_xvfb(args: &[&str]) -> Output {
    let output = Command::new("xvfb-run")
        .args(["-a", "-s", XVFB_SCREEN])
        .arg(env!("CARGO_BIN_EXE_pickloop"))
        .args(args)
        .output();
    match output {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "xvfb-run is not installed; the watch tests need a virtual X server. On Debian or \
             Ubuntu run `apt-get install xvfb`"
        ),
        Err(error) => panic!("cannot start xvfb-run: {error}"),
    }
}

/// Runs `pickloop ARGS` headless.
pub fn pickloop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pickloop"))
        .args(args)
        .output()
        .expect("the pickloop binary starts")
}

/// Panics with the command's output unless it exited with status 0.
pub fn assert_success(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} exited with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
