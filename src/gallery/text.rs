//! Text on an RGB canvas, rasterised with the report font through plotters' ab_glyph renderer.

use image::{Rgb, RgbImage};
use plotters::style::{FontDesc, IntoFont};
use tracing::warn;

use super::draw::{fill_rect, PixelRect};
use super::palette::blend;
use crate::report::font::{register_fonts, FONT_FAMILY};

/// Share of the font size between the requested top of a line and the `y` that plotters'
/// glyph renderer takes: the renderer places the baseline half a font size below its `y`, and
/// DejaVu Sans rises about 0.76 of the size above the baseline.
const BASELINE_SHIFT: f64 = 0.3;
/// Height of one text line as a multiple of the font size, for labels and caption rows.
pub const LINE_HEIGHT: f64 = 1.3;
/// Marks text cut to fit its space.
const ELLIPSIS: char = '…';

fn font(size_px: u32) -> FontDesc<'static> {
    register_fonts();
    (FONT_FAMILY, size_px as f64).into_font()
}

/// Height of one text line in pixels for a font of `size_px`.
pub fn line_height(size_px: u32) -> u32 {
    (size_px as f64 * LINE_HEIGHT).ceil() as u32
}

/// Width of `text` in pixels, as plotters lays it out.
pub fn text_width(text: &str, size_px: u32) -> u32 {
    match font(size_px).box_size(text) {
        Ok((width, _)) => width,
        Err(error) => {
            warn!(text, "cannot measure overlay text: {error:?}");
            0
        }
    }
}

/// Returns `text` cut at a character boundary and ended with an ellipsis so that it is at most
/// `max_width` pixels wide; unchanged when it fits.
pub fn fit_text(text: &str, size_px: u32, max_width: u32) -> String {
    if text_width(text, size_px) <= max_width {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let (mut low, mut high) = (0, chars.len());
    // Finds the longest prefix that fits with the ellipsis.
    while low < high {
        let middle = (low + high).div_ceil(2);
        let candidate: String = chars[..middle].iter().chain([&ELLIPSIS]).collect();
        if text_width(&candidate, size_px) <= max_width {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    chars[..low].iter().chain([&ELLIPSIS]).collect()
}

/// Draws `text` with its line's top-left corner at `(x, y)`, anti-aliased onto the canvas.
/// Glyphs past the canvas edge are clipped.
pub fn draw_text(canvas: &mut RgbImage, text: &str, (x, y): (i64, i64), size_px: u32, colour: Rgb<u8>) {
    let (width, height) = (canvas.width() as i64, canvas.height() as i64);
    let origin = (x as i32, (y as f64 + BASELINE_SHIFT * size_px as f64) as i32);
    let drawn = font(size_px).draw(text, origin, |px, py, coverage| {
        let (px, py) = (px as i64, py as i64);
        if (0..width).contains(&px) && (0..height).contains(&py) {
            let pixel = canvas.get_pixel_mut(px as u32, py as u32);
            *pixel = blend(*pixel, colour, coverage.clamp(0.0, 1.0));
        }
        Ok::<(), ()>(())
    });
    if let Err(error) = drawn {
        warn!(text, "cannot draw overlay text: {error:?}");
    }
}

/// Draws `text` on a filled background box whose top-left corner is at `(x, y)`, with `pad`
/// pixels around the text. Returns the box.
pub fn draw_label(
    canvas: &mut RgbImage,
    text: &str,
    (x, y): (i64, i64),
    size_px: u32,
    pad: u32,
    colours: (Rgb<u8>, Rgb<u8>),
) -> PixelRect {
    let (foreground, background) = colours;
    let rect = label_rect(text, (x, y), size_px, pad);
    fill_rect(canvas, rect, background);
    draw_text(canvas, text, (x + pad as i64, y + pad as i64), size_px, foreground);
    rect
}

/// The box [`draw_label`] fills for `text` at `(x, y)`.
pub fn label_rect(text: &str, (x, y): (i64, i64), size_px: u32, pad: u32) -> PixelRect {
    let width = (text_width(text, size_px) + 2 * pad) as i64;
    let height = (line_height(size_px) + 2 * pad) as i64;
    PixelRect { x0: x, y0: y, x1: x + width - 1, y1: y + height - 1 }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLACK: Rgb<u8> = Rgb([0, 0, 0]);
    const WHITE: Rgb<u8> = Rgb([255, 255, 255]);

    #[test]
    fn fit_text_cuts_long_text() {
        let text = "lost: low_confidence (confidence 0.312); holding the last estimate";
        let width = text_width(text, 16);
        assert!(width > 100, "a long line measures {width} px");
        let fitted = fit_text(text, 16, 100);
        assert!(fitted.ends_with(ELLIPSIS), "{fitted}");
        assert!(text_width(&fitted, 16) <= 100, "{fitted} is too wide");
        assert_eq!(fit_text("short", 16, 100), "short");
    }

    #[test]
    fn draw_text_stays_in_its_line() {
        let size = 16;
        let mut canvas = RgbImage::from_pixel(200, 60, BLACK);
        let top = 20;
        draw_text(&mut canvas, "Agjy |", (5, top), size, WHITE);
        let lit_rows: Vec<u32> = (0..canvas.height())
            .filter(|&y| (0..canvas.width()).any(|x| canvas.get_pixel(x, y)[0] > 128))
            .collect();
        assert!(!lit_rows.is_empty(), "no text was drawn");
        let first = *lit_rows.first().unwrap() as i64;
        let last = *lit_rows.last().unwrap() as i64;
        assert!(first >= top, "glyphs start at row {first}, above the line top {top}");
        assert!(last < top + line_height(size) as i64, "glyphs end at row {last}, below the line");
    }

    #[test]
    fn draw_text_clips_at_edge() {
        let mut canvas = RgbImage::from_pixel(30, 10, BLACK);
        draw_text(&mut canvas, "clipped text that runs off", (20, -4), 16, WHITE);
        assert!(canvas.pixels().any(|p| p[0] > 0), "the visible part is drawn");
    }
}
