//! Pixel primitives on an RGB canvas. Every function clips to the canvas, so shapes that reach
//! past an edge draw only their visible part.

use image::{Rgb, RgbImage};

use super::palette::blend;

/// A rectangle in canvas pixels, both corners inclusive. Coordinates may lie off the canvas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelRect {
    pub x0: i64,
    pub y0: i64,
    pub x1: i64,
    pub y1: i64,
}

impl PixelRect {
    /// Returns the part of the rectangle on a `width` by `height` canvas, or `None` when the
    /// rectangle is empty or entirely off the canvas.
    pub fn clip(self, width: u32, height: u32) -> Option<PixelRect> {
        let clipped = PixelRect {
            x0: self.x0.max(0),
            y0: self.y0.max(0),
            x1: self.x1.min(width as i64 - 1),
            y1: self.y1.min(height as i64 - 1),
        };
        (clipped.x0 <= clipped.x1 && clipped.y0 <= clipped.y1).then_some(clipped)
    }
}

/// Enlarges `image` by the integer `factor` with nearest-neighbour sampling, so that each
/// source pixel becomes a `factor` by `factor` block and pixel edges stay sharp.
pub fn upscale(image: &RgbImage, factor: u32) -> RgbImage {
    let factor = factor.max(1);
    RgbImage::from_fn(image.width() * factor, image.height() * factor, |x, y| {
        *image.get_pixel(x / factor, y / factor)
    })
}

/// Sets every pixel of `rect` to `colour`.
pub fn fill_rect(canvas: &mut RgbImage, rect: PixelRect, colour: Rgb<u8>) {
    blend_rect(canvas, rect, colour, 1.0);
}

/// Mixes `colour` into every pixel of `rect` with opacity `alpha`.
pub fn blend_rect(canvas: &mut RgbImage, rect: PixelRect, colour: Rgb<u8>, alpha: f32) {
    let Some(rect) = rect.clip(canvas.width(), canvas.height()) else {
        return;
    };
    for y in rect.y0..=rect.y1 {
        for x in rect.x0..=rect.x1 {
            let pixel = canvas.get_pixel_mut(x as u32, y as u32);
            *pixel = blend(*pixel, colour, alpha);
        }
    }
}

/// Draws the outline of `rect`, `thickness` pixels wide, inside the rectangle so that a box on
/// the canvas edge keeps its full width.
pub fn outline_rect(canvas: &mut RgbImage, rect: PixelRect, thickness: u32, colour: Rgb<u8>) {
    let t = thickness.max(1) as i64 - 1;
    let bands = [
        PixelRect { y1: rect.y0 + t, ..rect },
        PixelRect { y0: rect.y1 - t, ..rect },
        PixelRect { x1: rect.x0 + t, ..rect },
        PixelRect { x0: rect.x1 - t, ..rect },
    ];
    for band in bands {
        fill_rect(canvas, band, colour);
    }
}

/// Draws a plus-shaped marker centred on `(x, y)`, `arm` pixels from the centre to each tip,
/// with `colour` lines `thickness` pixels wide inside a one-pixel `outline`.
pub fn crosshair(canvas: &mut RgbImage, (x, y): (i64, i64), arm: i64, thickness: i64, colour: Rgb<u8>, outline: Rgb<u8>) {
    let half = thickness / 2;
    let bars = |pad: i64| {
        [
            PixelRect { x0: x - arm - pad, y0: y - half - pad, x1: x + arm + pad, y1: y + half + pad },
            PixelRect { x0: x - half - pad, y0: y - arm - pad, x1: x + half + pad, y1: y + arm + pad },
        ]
    };
    for bar in bars(1) {
        fill_rect(canvas, bar, outline);
    }
    for bar in bars(0) {
        fill_rect(canvas, bar, colour);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GREY: Rgb<u8> = Rgb([128, 128, 128]);
    const RED: Rgb<u8> = Rgb([255, 0, 0]);

    #[test]
    fn upscale_repeats_each_pixel() {
        let mut image = RgbImage::from_pixel(2, 1, GREY);
        image.put_pixel(1, 0, RED);
        let large = upscale(&image, 3);
        assert_eq!(large.dimensions(), (6, 3));
        assert_eq!(*large.get_pixel(2, 2), GREY);
        assert_eq!(*large.get_pixel(3, 0), RED);
        assert_eq!(*large.get_pixel(5, 2), RED);
    }

    #[test]
    fn outline_stays_inside_rect() {
        let mut canvas = RgbImage::from_pixel(20, 20, GREY);
        let rect = PixelRect { x0: 5, y0: 5, x1: 14, y1: 14 };
        outline_rect(&mut canvas, rect, 2, RED);
        assert_eq!(*canvas.get_pixel(5, 5), RED);
        assert_eq!(*canvas.get_pixel(6, 10), RED);
        assert_eq!(*canvas.get_pixel(13, 14), RED);
        assert_eq!(*canvas.get_pixel(7, 7), GREY, "the inside stays clear");
        assert_eq!(*canvas.get_pixel(4, 10), GREY, "nothing is drawn outside");
    }

    #[test]
    fn outline_clips_at_canvas_edge() {
        let mut canvas = RgbImage::from_pixel(10, 10, GREY);
        let rect = PixelRect { x0: -4, y0: 6, x1: 3, y1: 30 };
        outline_rect(&mut canvas, rect, 1, RED);
        assert_eq!(*canvas.get_pixel(3, 8), RED, "right side on the canvas");
        assert_eq!(*canvas.get_pixel(0, 6), RED, "top side clipped at x = 0");
        assert_eq!(*canvas.get_pixel(1, 8), GREY);
    }

    #[test]
    fn rect_off_canvas_draws_nothing() {
        let mut canvas = RgbImage::from_pixel(10, 10, GREY);
        let before = canvas.clone();
        fill_rect(&mut canvas, PixelRect { x0: 12, y0: 0, x1: 20, y1: 5 }, RED);
        fill_rect(&mut canvas, PixelRect { x0: 5, y0: 5, x1: 4, y1: 6 }, RED);
        assert_eq!(canvas, before);
    }
}
