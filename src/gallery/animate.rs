//! The episode GIF: overlaid frames with their display times, looping.
//!
//! Consecutive overlays differ mostly where the arm moves and in the caption, so each frame
//! after the first stores only the rectangle around its changed pixels, with unchanged pixels
//! inside it transparent, and keeps the previous frame under it.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use anyhow::{bail, ensure, Context};
use gif::{DisposalMethod, Encoder, Frame, Repeat};
use image::RgbImage;

/// Colour quantisation speed of the NeuQuant palette, 1 (best palette, slowest) to 30, as the
/// gif crate defines it.
/// NOTE: 10 was chosen for speed. Its palettes look right in the gallery frames viewed so
/// far, but they were not compared with those at 1.
const QUANTIZE_SPEED: i32 = 10;

/// Writes `images` as a looping GIF to `path`, showing image `i` for `delays_ms[i]`
/// milliseconds, rounded up to the hundredths of a second that GIF stores. Every image must
/// have the size of the first.
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
        bail!(
            "GIF image {index} is {:?} but the first is {size:?}: every frame of {} must have one size",
            image.dimensions(),
            path.display()
        );
    }
    let (Ok(width), Ok(height)) = (u16::try_from(size.0), u16::try_from(size.1)) else {
        bail!("{size:?} is too large for the GIF {}: GIF sides are at most 65535 pixels", path.display());
    };

    let file = File::create(path).with_context(|| format!("cannot create {}; check that its folder is writable", path.display()))?;
    let mut encoder = Encoder::new(BufWriter::new(file), width, height, &[])
        .with_context(|| format!("cannot write the GIF header of {}", path.display()))?;
    encoder
        .set_repeat(Repeat::Infinite)
        .with_context(|| format!("cannot write the loop extension of {}", path.display()))?;
    let mut previous: Option<&RgbImage> = None;
    for (image, &delay_ms) in images.iter().zip(delays_ms) {
        let mut frame = changed_region_frame(image, previous);
        frame.delay = u16::try_from(delay_ms.div_ceil(10)).unwrap_or(u16::MAX);
        frame.dispose = DisposalMethod::Keep;
        encoder
            .write_frame(&frame)
            .with_context(|| format!("cannot write a frame of {}", path.display()))?;
        previous = Some(image);
    }
    Ok(())
}

/// Builds the GIF frame that turns `previous` into `image`: the bounding rectangle of the
/// pixels that differ, with the equal ones transparent. Without `previous` it is the whole
/// image. When nothing changed it is one transparent pixel.
fn changed_region_frame(image: &RgbImage, previous: Option<&RgbImage>) -> Frame<'static> {
    let changed = |x: u32, y: u32| previous.is_none_or(|p| p.get_pixel(x, y) != image.get_pixel(x, y));
    let Some((x0, y0, x1, y1)) = changed_bounds(image.width(), image.height(), changed) else {
        let mut pixel = [0u8; 4];
        return Frame::from_rgba_speed(1, 1, &mut pixel, QUANTIZE_SPEED);
    };

    let mut rgba = Vec::with_capacity(((x1 - x0 + 1) * (y1 - y0 + 1) * 4) as usize);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let [r, g, b] = image.get_pixel(x, y).0;
            let alpha = if changed(x, y) { u8::MAX } else { 0 };
            rgba.extend_from_slice(&[r, g, b, alpha]);
        }
    }
    // The caller checked that the image sides fit in u16, so every region side does too.
    let mut frame = Frame::from_rgba_speed((x1 - x0 + 1) as u16, (y1 - y0 + 1) as u16, &mut rgba, QUANTIZE_SPEED);
    frame.left = x0 as u16;
    frame.top = y0 as u16;
    frame
}

/// Returns the inclusive bounds `(x0, y0, x1, y1)` of the pixels where `changed` is true.
fn changed_bounds(width: u32, height: u32, changed: impl Fn(u32, u32) -> bool) -> Option<(u32, u32, u32, u32)> {
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    for y in 0..height {
        for x in 0..width {
            if changed(x, y) {
                bounds = Some(match bounds {
                    None => (x, y, x, y),
                    Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
                });
            }
        }
    }
    bounds
}
