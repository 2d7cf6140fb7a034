//! Material textures: a PNG under the assets directory is drawn on the surface, and a missing
//! one is reported with its path.

use bevy::math::{Quat, Vec3};
use image::{Rgb, RgbImage};
use pickloop::observe::render::{
    BodyKind, BodyPose, Geometry, RenderError, RenderSettings, Renderer, VisualBody, VisualPart,
};
use pickloop::observe::{CameraModel, CameraPose, Intrinsics};
use pickloop::scene::{ImageSize, Light, Material};

const SIZE: ImageSize = ImageSize {
    width: 224,
    height: 224,
};
const BOX_SIZE: Vec3 = Vec3::new(0.3, 0.3, 0.1);

fn textured_box(texture: &str) -> VisualBody {
    VisualBody {
        kind: BodyKind::Object(0),
        parts: vec![VisualPart::at_origin(
            Geometry::Box { size: BOX_SIZE },
            Material {
                color: [1.0, 1.0, 1.0],
                roughness: 0.9,
                metallic: 0.0,
                texture: Some(texture.to_owned()),
            },
        )],
    }
}

fn settings(assets_dir: &std::path::Path) -> RenderSettings {
    RenderSettings {
        size: SIZE,
        background: [0.2, 0.2, 0.2],
        lights: vec![Light::Directional {
            illuminance_lux: 8000.0,
            color: [1.0, 1.0, 1.0],
            direction: [0.0, 0.0, -1.0],
            shadows: false,
        }],
        assets_dir: assets_dir.to_owned(),
    }
}

fn luminance(frame_rgb: &RgbImage, (u, v): (u32, u32)) -> i32 {
    let [r, g, b] = frame_rgb.get_pixel(u, v).0;
    (i32::from(r) + i32::from(g) + i32::from(b)) / 3
}

#[test]
fn checkerboard_texture_shows_on_top_face() {
    let assets = tempfile::tempdir().expect("temp dir");
    // 2x2 checkerboard: white where the cell indices have the same parity, black elsewhere.
    let checker = RgbImage::from_fn(64, 64, |x, y| {
        if (x / 32 + y / 32) % 2 == 0 {
            Rgb([255, 255, 255])
        } else {
            Rgb([0, 0, 0])
        }
    });
    std::fs::create_dir_all(assets.path().join("textures")).expect("textures dir");
    checker
        .save(assets.path().join("textures/checker.png"))
        .expect("texture saves");

    let mut renderer = Renderer::new(
        settings(assets.path()),
        &[textured_box("textures/checker.png")],
    )
    .expect("renderer starts");
    let camera = CameraModel {
        intrinsics: Intrinsics::from_vertical_fov(SIZE, 50f32.to_radians()),
        pose: CameraPose::look_at(Vec3::new(0.0, 0.0, 1.0), Vec3::ZERO),
    };
    let frame = renderer
        .capture(
            &[BodyPose::new(Vec3::ZERO, Quat::IDENTITY)],
            &[("top".to_owned(), camera)],
            0,
            0.0,
        )
        .expect("capture succeeds")
        .remove(0);

    let top = 0.5 * BOX_SIZE.z;
    let quadrant = |sx: f32, sy: f32| {
        let point = Vec3::new(sx * 0.25 * BOX_SIZE.x, sy * 0.25 * BOX_SIZE.y, top);
        let (pixel, _) = camera.project(point).expect("top face is in view");
        (pixel.x as u32, pixel.y as u32)
    };
    let a = luminance(&frame.rgb, quadrant(1.0, 1.0));
    let b = luminance(&frame.rgb, quadrant(-1.0, -1.0));
    let c = luminance(&frame.rgb, quadrant(1.0, -1.0));
    let d = luminance(&frame.rgb, quadrant(-1.0, 1.0));
    assert!((a - b).abs() < 30, "diagonal quadrants differ: {a} vs {b}");
    assert!((c - d).abs() < 30, "diagonal quadrants differ: {c} vs {d}");
    assert!(
        (a - c).abs() > 80,
        "adjacent quadrants look alike: {a} vs {c}"
    );
}

#[test]
fn missing_texture_names_its_path() {
    let assets = tempfile::tempdir().expect("temp dir");
    let result = Renderer::new(
        settings(assets.path()),
        &[textured_box("textures/none.png")],
    );
    match result {
        Err(RenderError::Texture { path, .. }) => {
            assert_eq!(path, assets.path().join("textures/none.png"));
        }
        Err(other) => panic!("expected a texture error, got: {other}"),
        Ok(_) => panic!("renderer started without its texture"),
    }
}
