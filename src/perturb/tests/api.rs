use super::*;
use crate::perturb::{FrameEffects, Target};

#[test]
fn axis_names_round_trip() {
    for &axis in Axis::ALL {
        assert_eq!(axis.name().parse::<Axis>(), Ok(axis));
        let json = serde_json::to_string(&axis).expect("axis serialises");
        assert_eq!(json, format!("\"{}\"", axis.name()));
        assert!(!axis.description().is_empty(), "{axis} has no description");
        assert!(
            axis.description().ends_with('.'),
            "{axis} description is not a sentence"
        );
    }
    assert_eq!(Axis::ALL.len(), 25);
}

#[test]
fn unknown_axis_lists_valid_names() {
    let error = "camera_yaw".parse::<Axis>().expect_err("unknown name");
    let message = error.to_string();
    assert!(message.contains("camera_yaw"), "{message}");
    assert!(message.contains("camera_azimuth"), "{message}");
    assert!(message.contains("arm_start"), "{message}");
}

#[test]
fn labels_carry_units() {
    let label = |axis, magnitude| Perturbation { axis, magnitude }.label();
    assert_eq!(label(Axis::CameraAzimuth, 20.0), "camera_azimuth=20deg");
    assert_eq!(label(Axis::LightIntensity, -1.5), "light_intensity=-1.5EV");
    assert_eq!(label(Axis::Distractors, 3.0), "distractors=3");
    assert_eq!(label(Axis::DepthNoise, 2.5), "depth_noise=2.5mm");
}

#[test]
fn zero_magnitude_is_identity() {
    let scenes = [
        mugs(),
        shipped("warehouse_shelves"),
        shipped("tabletop_orbit"),
        shipped("tabletop_sizes"),
    ];
    for scene in &scenes {
        for &axis in Axis::ALL {
            let result = apply(scene, &one(axis, 0.0), 5)
                .unwrap_or_else(|e| panic!("{axis}=0 on {}: {e:#}", scene.name));
            assert_eq!(
                &result.scene, scene,
                "{axis}=0 changed scene {}",
                scene.name
            );
            assert!(
                result.frame_effects.is_empty(),
                "{axis}=0 set frame effects"
            );
            assert_eq!(
                result.labels,
                [format!(
                    "{axis}=0{}",
                    if axis.is_integer() { "" } else { axis.unit() }
                )]
            );
        }
    }
}

#[test]
fn invalid_magnitudes_rejected() {
    let scene = mugs();
    let message = failure(&scene, Axis::Distractors, -1.0);
    assert!(message.contains("negative"), "{message}");
    assert!(message.contains("distractors"), "{message}");
    let message = failure(&scene, Axis::Distractors, 1.5);
    assert!(message.contains("whole number"), "{message}");
    let message = failure(&scene, Axis::CameraAzimuth, f64::NAN);
    assert!(message.contains("finite"), "{message}");
    assert!(message.contains("tabletop_mugs"), "{message}");
}

#[test]
fn perturbations_compose_in_order() {
    let scene = mugs();
    let list = [
        Perturbation {
            axis: Axis::PromptParaphrase,
            magnitude: 1.0,
        },
        Perturbation {
            axis: Axis::PromptCase,
            magnitude: 2.0,
        },
        Perturbation {
            axis: Axis::PixelNoise,
            magnitude: 3.0,
        },
        Perturbation {
            axis: Axis::PixelNoise,
            magnitude: 4.0,
        },
    ];
    let result = apply(&scene, &list, 9).expect("composes");
    assert_eq!(result.scene.instruction, "GRAB THE RED MUG");
    assert_eq!(result.frame_effects.pixel_noise_levels, 5.0);
    assert_eq!(result.labels.len(), 4);
    assert_eq!(result.labels[1], "prompt_case=2");
}

#[test]
fn frame_axes_target_frames() {
    for &axis in Axis::ALL {
        let magnitude = match axis {
            _ if axis.is_integer() => 1.0,
            Axis::LayoutJitter => 0.005,
            _ => 0.5,
        };
        let result = perturb(&mugs(), axis, magnitude, 2);
        let frames_changed = result.frame_effects != FrameEffects::default();
        assert_eq!(frames_changed, axis.target() == Target::Frames, "{axis}");
    }
}
