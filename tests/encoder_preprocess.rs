//! Image preprocessing against transformers' Pillow backend and Pillow's resize.

mod encoder_support;

use candle_core::{Device, IndexOp};
use encoder_support::{assert_close, fixture_dir, reference};
use image::{Rgb, RgbImage};
use pickloop::perception::encoders::{ImageProcessor, ImageProcessorConfig};
use pickloop::perception::encoders::preprocess::{CropSize, ResizeTarget, center_crop, load_rgb, resized_size};
use pickloop::perception::encoders::resample::{ResampleFilter, resize_rgb8};

fn processor(model: &str) -> ImageProcessor {
    ImageProcessor::from_file(&fixture_dir(model).join("preprocessor_config.json")).unwrap()
}

#[test]
fn siglip_pixel_values_match_reference() {
    let dir = fixture_dir("siglip-tiny");
    let images = [load_rgb(&dir.join("ref_image_0.png")).unwrap(), load_rgb(&dir.join("ref_image_1.png")).unwrap()];

    let pixel_values = processor("siglip-tiny").preprocess(&images, &Device::Cpu).unwrap();

    assert_close("siglip pixel_values", &pixel_values, &reference("siglip-tiny")["pixel_values"]);
}

#[test]
fn dinov2_pixel_values_match_reference() {
    let image = load_rgb(&fixture_dir("dinov2-tiny").join("ref_image_0.png")).unwrap();

    let pixel_values = processor("dinov2-tiny").preprocess(&[image], &Device::Cpu).unwrap();

    assert_close("dinov2 pixel_values", &pixel_values, &reference("dinov2-tiny")["input_224x224"]);
}

#[test]
fn resize_matches_pillow_bit_for_bit() {
    let dir = fixture_dir("resample");
    let source = load_rgb(&dir.join("source.png")).unwrap();
    let filters = [
        ("lanczos", ResampleFilter::Lanczos),
        ("bilinear", ResampleFilter::Bilinear),
        ("bicubic", ResampleFilter::Bicubic),
    ];
    let sizes = [(16, 16), (64, 50), (20, 40), (37, 11), (5, 3), (30, 10), (36, 5), (50, 12)];

    for (name, filter) in filters {
        for (width, height) in sizes {
            let expected = load_rgb(&dir.join(format!("{name}_{width}x{height}.png"))).unwrap();
            let actual = resize_rgb8(&source, width, height, filter);
            let differing = actual.pixels().zip(expected.pixels()).filter(|(a, b)| a != b).count();
            assert_eq!(differing, 0, "{name} {width}x{height}: {differing} pixels differ from Pillow");
        }
    }
}

#[test]
fn shortest_edge_keeps_aspect_ratio() {
    let target = ResizeTarget::ShortestEdge { shortest_edge: 256 };

    assert_eq!(resized_size(320, 240, target), (341, 256));
    assert_eq!(resized_size(240, 320, target), (256, 341));
    assert_eq!(resized_size(100, 100, target), (256, 256));
}

#[test]
fn center_crop_pads_small_image_with_zeros() {
    let mut image = RgbImage::new(3, 2);
    for (x, y, pixel) in image.enumerate_pixels_mut() {
        *pixel = Rgb([10 + x as u8, 20 + y as u8, 1]);
    }

    let cropped = center_crop(&image, CropSize::Size { height: 5, width: 2 });

    // transformers pads ceil((5 - 2) / 2) = 2 rows above and takes columns 0..2 of 3.
    assert_eq!(cropped.dimensions(), (2, 5));
    assert_eq!(cropped.get_pixel(0, 0), &Rgb([0, 0, 0]));
    assert_eq!(cropped.get_pixel(0, 1), &Rgb([0, 0, 0]));
    assert_eq!(cropped.get_pixel(0, 2), &Rgb([10, 20, 1]));
    assert_eq!(cropped.get_pixel(1, 3), &Rgb([11, 21, 1]));
    assert_eq!(cropped.get_pixel(1, 4), &Rgb([0, 0, 0]));
}

#[test]
fn processor_rejects_nearest_resample() {
    let mut config: ImageProcessorConfig =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir("siglip-tiny").join("preprocessor_config.json")).unwrap())
            .unwrap();
    config.resample = 0;

    let error = ImageProcessor::new(config).unwrap_err().to_string();

    assert!(error.contains("resample = 0"), "{error}");
}

#[test]
fn processor_rejects_mixed_sizes_without_crop() {
    let processor = processor("dinov2-tiny");
    let mut config = processor.config().clone();
    config.do_center_crop = false;
    let processor = ImageProcessor::new(config).unwrap();
    let images = [RgbImage::new(40, 30), RgbImage::new(30, 40)];

    let error = processor.preprocess(&images, &Device::Cpu).unwrap_err().to_string();

    assert!(error.contains("image 1"), "{error}");
}

#[test]
fn processor_output_is_channel_first() {
    let processor = processor("siglip-tiny");
    let mut image = RgbImage::new(64, 64);
    image.put_pixel(5, 7, Rgb([255, 0, 128]));

    let pixel_values = processor.preprocess(&[image], &Device::Cpu).unwrap();

    let pixel: Vec<f32> = pixel_values.i((0, .., 7, 5)).unwrap().to_vec1().unwrap();
    assert_eq!(pixel[0], 1.0);
    assert_eq!(pixel[1], -1.0);
    assert!((pixel[2] - 0.003_921_6).abs() < 1e-6, "{pixel:?}");
}

#[test]
fn bare_number_sizes_follow_processor_type() {
    let clip: ImageProcessorConfig = serde_json::from_str(
        r#"{"do_resize": true, "size": 224, "do_center_crop": true, "crop_size": 224,
            "feature_extractor_type": "CLIPFeatureExtractor"}"#,
    )
    .unwrap();
    let vit: ImageProcessorConfig =
        serde_json::from_str(r#"{"do_resize": true, "size": 224, "image_processor_type": "ViTImageProcessor"}"#).unwrap();

    let clip = ImageProcessor::new(clip).unwrap();
    let vit = ImageProcessor::new(vit).unwrap();

    assert_eq!(clip.config().size, Some(ResizeTarget::ShortestEdge { shortest_edge: 224 }));
    assert_eq!(clip.output_size(), Some((224, 224)));
    assert_eq!(vit.config().size, Some(ResizeTarget::Exact { height: 224, width: 224 }));
}

#[test]
fn absent_do_rescale_defaults_on() {
    // openai/clip-vit-base-patch32's preprocessor_config.json has no do_rescale and no
    // rescale_factor, and transformers rescales by 1/255.
    let omitted: ImageProcessorConfig =
        serde_json::from_str(r#"{"feature_extractor_type": "CLIPFeatureExtractor"}"#).unwrap();
    let disabled: ImageProcessorConfig = serde_json::from_str(r#"{"do_rescale": false}"#).unwrap();

    assert!(omitted.do_rescale);
    assert_eq!(omitted.rescale_factor, 1.0 / 255.0);
    assert!(!disabled.do_rescale);
}
