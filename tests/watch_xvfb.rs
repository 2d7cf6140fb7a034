//! `pickloop watch` in a virtual X server: the window's screenshot shows the scene and, in its
//! top-right corner, the perception camera's image.

mod watch_support;

use image::{Rgb, RgbImage, imageops};
use watch_support::{assert_success, lock_display, pickloop, pickloop_under_xvfb, repo_path};

const WINDOW: (u32, u32) = (640, 400);
/// The inset layout of the watch window: 30 % of the width, 12 px from the top-right corner,
/// framed by a 2 px border of sRGB 0.95 grey.
const INSET_SHARE: f32 = 0.3;
const INSET_MARGIN: u32 = 12;
const FRAME_WIDTH: u32 = 2;
const FRAME_LEVEL: u8 = 242;

/// Inset rectangle `(x, y, width, height)` for a square perception image.
fn inset_rect() -> (u32, u32, u32, u32) {
    let size = (WINDOW.0 as f32 * INSET_SHARE).round() as u32;
    (WINDOW.0 - size - INSET_MARGIN, INSET_MARGIN, size, size)
}

fn distinct_colours(image: &RgbImage) -> usize {
    let mut colours: Vec<[u8; 3]> = image.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    colours.len()
}

/// Mean absolute difference per channel, in 8-bit levels.
fn mean_abs_difference(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(&x, &y)| u64::from(x.abs_diff(y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

#[test]
fn screenshot_shows_scene_and_inset() {
    let _display = lock_display();
    let dir = tempfile::tempdir().unwrap();
    let scene = repo_path("scenes/tabletop_mugs.ron");
    let scene = scene.to_str().unwrap();
    let shot = dir.path().join("window.png");
    let window_size = format!("{}x{}", WINDOW.0, WINDOW.1);

    // At simulated time 0 the arm has not moved yet, so the inset must match the first
    // perception frame, which `run` renders at the end of the settle time.
    let watch = pickloop_under_xvfb(&[
        "watch",
        scene,
        "--seed",
        "1000",
        "--window-size",
        &window_size,
        "--screenshot",
        shot.to_str().unwrap(),
        "--screenshot-at-s",
        "0",
        "--exit-when-done",
    ]);
    assert_success("pickloop watch", &watch);
    let stdout = String::from_utf8_lossy(&watch.stdout);
    assert!(
        stdout.contains("outcome scene=tabletop_mugs seed=1000 perception=oracle result="),
        "stdout has no outcome line:\n{stdout}"
    );

    assert!(shot.exists(), "no screenshot at {}", shot.display());
    let window = image::open(&shot).unwrap().to_rgb8();
    assert_eq!(
        window.dimensions(),
        WINDOW,
        "screenshot size differs from the window size"
    );
    let colours = distinct_colours(&window);
    assert!(
        colours > 1000,
        "screenshot has only {colours} colours; the scene is not drawn"
    );

    let (x, y, width, height) = inset_rect();
    let frame_pixels = [
        (x - FRAME_WIDTH, y + height / 2),
        (x + width + FRAME_WIDTH - 1, y + height / 2),
        (x + width / 2, y - FRAME_WIDTH),
        (x + width / 2, y + height + FRAME_WIDTH - 1),
    ];
    for (px, py) in frame_pixels {
        assert_eq!(
            *window.get_pixel(px, py),
            Rgb([FRAME_LEVEL; 3]),
            "pixel ({px}, {py}) is not on the inset's frame"
        );
    }

    let frames = dir.path().join("frames");
    let run = pickloop(&[
        "run",
        scene,
        "--seed",
        "1000",
        "--episodes",
        "1",
        "--out",
        dir.path().join("run").to_str().unwrap(),
        "--save-frames",
        frames.to_str().unwrap(),
    ]);
    assert_success("pickloop run", &run);
    let mut rgb_frames: Vec<_> = std::fs::read_dir(&frames)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.to_string_lossy().ends_with("_rgb.png"))
        .collect();
    rgb_frames.sort();
    let first_frame = image::open(rgb_frames.first().expect("run saved perception frames"))
        .unwrap()
        .to_rgb8();
    let perception = imageops::resize(&first_frame, width, height, imageops::FilterType::Triangle);

    let inset = imageops::crop_imm(&window, x, y, width, height).to_image();
    // The same region one inset-width to the left shows the overview, not the robot's camera.
    let overview =
        imageops::crop_imm(&window, x - width - 2 * INSET_MARGIN, y, width, height).to_image();
    let inset_error = mean_abs_difference(&inset, &perception);
    let overview_error = mean_abs_difference(&overview, &perception);
    eprintln!(
        "mean difference to the perception frame: inset {inset_error:.2}, overview {overview_error:.2}"
    );
    assert!(
        inset_error < 5.0,
        "inset differs from the perception frame by {inset_error:.1} levels on average"
    );
    assert!(
        overview_error > 3.0 * inset_error,
        "the overview region is as close to the perception frame ({overview_error:.1}) as the \
         inset ({inset_error:.1}); the inset does not show the robot's camera"
    );
}

#[test]
fn episode_runs_no_faster_than_real_time() {
    let _display = lock_display();
    let scene = repo_path("scenes/tabletop_mugs.ron");
    let started = std::time::Instant::now();
    // A tiny window renders fast enough that only the real-time pacing holds the episode back.
    let watch = pickloop_under_xvfb(&[
        "watch",
        scene.to_str().unwrap(),
        "--seed",
        "1000",
        "--window-size",
        "160x100",
        "--exit-when-done",
    ]);
    let wall_s = started.elapsed().as_secs_f32();
    assert_success("pickloop watch", &watch);

    let stdout = String::from_utf8_lossy(&watch.stdout);
    let sim_s: f32 = stdout
        .split_whitespace()
        .find_map(|field| field.strip_prefix("sim_s="))
        .unwrap_or_else(|| panic!("stdout has no sim_s field:\n{stdout}"))
        .parse()
        .unwrap();
    assert!(
        sim_s > 1.0,
        "the episode ended after only {sim_s} s; pick a longer one"
    );
    assert!(
        wall_s >= sim_s,
        "{sim_s} simulated seconds took only {wall_s:.2} s of wall-clock time"
    );
}
