use image::RgbImage;

use super::*;
use crate::observe::Frame;
use crate::observe::camera::{CameraModel, CameraPose, Intrinsics};
use crate::observe::frame::{BACKGROUND_ID, DepthImage, InstanceImage, ROBOT_ID_BASE};
use crate::perturb::occluder::{OCCLUDER_CROSSING_S, OCCLUDER_START_S};
use crate::perturb::{FrameEffects, OCCLUDER_DEPTH_M, OCCLUDER_GREY};
use crate::scene::ImageSize;

const WIDTH: u32 = 80;
const HEIGHT: u32 = 60;

/// Builds a mid-grey frame at 1.5 m depth, with the left quarter showing no geometry, object
/// 1 in the middle and a robot link in the bottom rows.
fn frame(step: u64, time_s: f32) -> Frame {
    let size = ImageSize {
        width: WIDTH,
        height: HEIGHT,
    };
    let pixels = (WIDTH * HEIGHT) as usize;
    let depth = (0..pixels)
        .map(|i| {
            if (i as u32 % WIDTH) < WIDTH / 4 {
                f32::INFINITY
            } else {
                1.5
            }
        })
        .collect();
    let ids = (0..pixels)
        .map(|i| match (i as u32 % WIDTH, i as u32 / WIDTH) {
            (_, v) if v >= HEIGHT - 5 => ROBOT_ID_BASE + 2,
            (u, _) if u < WIDTH / 4 => BACKGROUND_ID,
            _ => 1,
        })
        .collect();
    Frame {
        step,
        time_s,
        camera_id: "front".to_owned(),
        camera: CameraModel {
            intrinsics: Intrinsics::from_vertical_fov(size, 1.0),
            pose: CameraPose::look_at(
                bevy::math::Vec3::new(-1.0, 0.0, 1.0),
                bevy::math::Vec3::ZERO,
            ),
        },
        rgb: RgbImage::from_pixel(WIDTH, HEIGHT, image::Rgb([120, 128, 136])),
        depth: DepthImage {
            width: WIDTH,
            height: HEIGHT,
            data: depth,
        },
        instances: InstanceImage {
            width: WIDTH,
            height: HEIGHT,
            data: ids,
        },
    }
}

fn effects(axis: Axis, magnitude: f64) -> FrameEffects {
    perturb(&mugs(), axis, magnitude, 1).frame_effects
}

fn mean_and_variance(values: impl Iterator<Item = f64> + Clone) -> (f64, f64) {
    let n = values.clone().count() as f64;
    let mean = values.clone().sum::<f64>() / n;
    let variance = values.map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (mean, variance)
}

#[test]
fn pixel_noise_keeps_mean_raises_variance() {
    let clean = frame(3, 1.0);
    for sigma in [2.0, 8.0] {
        let mut noisy = clean.clone();
        effects(Axis::PixelNoise, sigma).apply(&mut noisy, 42);
        let differences = noisy
            .rgb
            .iter()
            .zip(clean.rgb.iter())
            .map(|(&a, &b)| f64::from(a) - f64::from(b));
        let (mean, variance) = mean_and_variance(differences);
        assert!(mean.abs() < 0.1, "sigma {sigma}: mean shift {mean}");
        // Rounding to whole levels adds a variance of about 1/12.
        assert!(
            (variance.sqrt() - sigma).abs() < 0.05 * sigma + 0.1,
            "sigma {sigma}: measured {}",
            variance.sqrt()
        );
    }
}

#[test]
fn noise_repeats_per_episode_and_step() {
    let effect = effects(Axis::PixelNoise, 5.0);
    let noisy = |seed: u64, step: u64| {
        let mut f = frame(step, 1.0);
        effect.apply(&mut f, seed);
        f.rgb
    };
    assert_eq!(noisy(1, 10), noisy(1, 10));
    assert_ne!(noisy(1, 10), noisy(2, 10));
    assert_ne!(noisy(1, 10), noisy(1, 11));
}

#[test]
fn depth_noise_sigma_in_millimetres() {
    let clean = frame(3, 1.0);
    let mut noisy = clean.clone();
    effects(Axis::DepthNoise, 4.0).apply(&mut noisy, 7);
    let differences = noisy
        .depth
        .data
        .iter()
        .zip(&clean.depth.data)
        .filter(|(_, b)| b.is_finite())
        .map(|(&a, &b)| f64::from(a - b) * 1000.0);
    let (mean, variance) = mean_and_variance(differences);
    assert!(mean.abs() < 0.3, "mean shift {mean} mm");
    assert!(
        (variance.sqrt() - 4.0).abs() < 0.3,
        "sigma {} mm",
        variance.sqrt()
    );
    let background_kept = noisy
        .depth
        .data
        .iter()
        .zip(&clean.depth.data)
        .all(|(a, b)| b.is_finite() || a == b);
    assert!(background_kept, "background depth stays infinite");
}

#[test]
fn dropout_share_matches_magnitude() {
    for share in [0.1, 0.5] {
        let mut dropped = frame(3, 1.0);
        effects(Axis::DepthDropout, share).apply(&mut dropped, 5);
        let finite_before = (WIDTH - WIDTH / 4) * HEIGHT;
        let finite_after = dropped.depth.data.iter().filter(|d| d.is_finite()).count() as f64;
        let measured = 1.0 - finite_after / f64::from(finite_before);
        assert!(
            (measured - share).abs() < 0.03,
            "share {share}: measured {measured}"
        );
    }
    assert!(failure(&mugs(), Axis::DepthDropout, 1.2).contains("above 1"));
}

#[test]
fn occluder_covers_share_in_window() {
    let effect = effects(Axis::Occluder, 0.3);
    let board_columns = (0.3 * WIDTH as f32).round() as usize;
    for progress in [0.0, 0.4, 1.0] {
        let mut covered = frame(3, OCCLUDER_START_S + progress * OCCLUDER_CROSSING_S);
        effect.apply(&mut covered, 1);
        let grey_columns = (0..WIDTH)
            .filter(|&u| (0..HEIGHT).all(|v| covered.rgb.get_pixel(u, v).0 == [OCCLUDER_GREY; 3]))
            .count();
        assert_eq!(grey_columns, board_columns, "progress {progress}");
        let near = covered
            .depth
            .data
            .iter()
            .filter(|&&d| d == OCCLUDER_DEPTH_M)
            .count();
        assert_eq!(near, board_columns * HEIGHT as usize);
        let robot = covered
            .instances
            .data
            .iter()
            .filter(|&&id| id >= ROBOT_ID_BASE)
            .count();
        assert_eq!(robot, 5 * WIDTH as usize, "the robot mask is unchanged");
    }
    let mut first = frame(3, OCCLUDER_START_S);
    effect.apply(&mut first, 1);
    assert_eq!(
        first.rgb.get_pixel(0, 0).0,
        [OCCLUDER_GREY; 3],
        "the board enters at the left edge"
    );
    let mut last = frame(3, OCCLUDER_START_S + OCCLUDER_CROSSING_S);
    effect.apply(&mut last, 1);
    assert_eq!(
        last.rgb.get_pixel(WIDTH - 1, 0).0,
        [OCCLUDER_GREY; 3],
        "the board leaves at the right edge"
    );
    for time_s in [0.0, OCCLUDER_START_S + OCCLUDER_CROSSING_S + 0.1] {
        let mut outside = frame(3, time_s);
        effect.apply(&mut outside, 1);
        assert_eq!(outside.rgb, frame(3, time_s).rgb, "no board at {time_s} s");
    }
}
