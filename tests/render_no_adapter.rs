//! Without a Vulkan driver the renderer returns `RenderError::NoAdapter` instead of letting
//! Bevy panic. The check runs in a child process whose Vulkan loader points at no driver.

use std::path::PathBuf;
use std::process::Command;

use pickloop::observe::render::{RenderError, RenderSettings, Renderer};
use pickloop::scene::ImageSize;

const CHILD_TEST: &str = "renderer_without_driver_child";

#[test]
fn missing_driver_returns_no_adapter() {
    let output = Command::new(std::env::current_exe().expect("test binary path"))
        .args([CHILD_TEST, "--exact", "--ignored", "--nocapture"])
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
        .env_remove("WGPU_BACKEND")
        .output()
        .expect("child test starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "child failed or panicked\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("1 passed"),
        "child test did not run:\n{stdout}"
    );
    assert!(!stderr.contains("panicked"), "child panicked:\n{stderr}");
}

/// Run by `missing_driver_returns_no_adapter` with the Vulkan loader pointed at no driver.
#[test]
#[ignore = "needs VK_ICD_FILENAMES pointing at no driver; run through missing_driver_returns_no_adapter"]
fn renderer_without_driver_child() {
    let settings = RenderSettings {
        size: ImageSize::default(),
        background: [0.5, 0.5, 0.5],
        lights: Vec::new(),
        assets_dir: PathBuf::from("assets"),
    };
    match Renderer::new(settings, &[]) {
        Err(error @ RenderError::NoAdapter { .. }) => {
            let message = error.to_string();
            println!("{message}");
            assert!(message.contains("mesa-vulkan-drivers"), "{message}");
            assert!(message.contains("VK_ICD_FILENAMES"), "{message}");
        }
        Err(other) => panic!("expected NoAdapter, got: {other}"),
        Ok(_) => panic!("a renderer started although the Vulkan loader has no driver"),
    }
}
