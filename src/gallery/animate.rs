//! The episode GIF: overlaid frames with their display times, looping.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{ensure, Context};
use image::codecs::gif::{GifEncoder, Repeat};
use image::{Delay, DynamicImage, Frame, RgbImage};

/// Colour quantisation speed of the GIF encoder, 1 (best palette, slowest) to 30. At 10 the
/// NeuQuant palette of a 672 by 774 overlay takes about 40 ms on one core (estimate from the
/// episode test) and reads as well as at 1.
const QUANTIZE_SPEED: i32 = 10;

/// Writes `images` as a looping GIF to `path`, showing image `i` for `delays_ms[i]`
/// milliseconds. Every image must have the size of the first.
pub fn write_gif(path: &Path, images: &[RgbImage], delays_ms: &[u32]) -> anyhow::Result<()> {
    ensure!(!images.is_empty(), "no images for the GIF {}: pass at least one frame", path.display());
    ensure!(
        images.len() == delays_ms.len(),
        "{} images but {} delays for the GIF {}: pass one delay per image",
        images.len(),
        delays_ms.len(),
        path.display()
    );
    let size = images[0].dimensions();
    if let Some((index, image)) = images.iter().enumerate().find(|(_, image)| image.dimensions() != size) {
        anyhow::bail!(
            "GIF image {index} is {:?} but the first is {size:?}: every frame of {} must have one size",
            image.dimensions(),
            path.display()
        );
    }

    let file = File::create(path).with_context(|| format!("cannot create {}; check that its folder is writable", path.display()))?;
    let mut encoder = GifEncoder::new_with_speed(BufWriter::new(file), QUANTIZE_SPEED);
    encoder
        .set_repeat(Repeat::Infinite)
        .with_context(|| format!("cannot write the GIF header of {}", path.display()))?;
    for (image, &delay_ms) in images.iter().zip(delays_ms) {
        let rgba = DynamicImage::ImageRgb8(image.clone()).into_rgba8();
        let frame = Frame::from_parts(rgba, 0, 0, Delay::from_numer_denom_ms(delay_ms, 1));
        encoder
            .encode_frame(frame)
            .with_context(|| format!("cannot write a frame of {}", path.display()))?;
    }
    Ok(())
}
