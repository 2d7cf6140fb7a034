//! Text on an RGB canvas in the report font, laid out and rasterised with ab_glyph.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, GlyphId, PxScale, ScaleFont};
use image::{Rgb, RgbImage};
use tracing::error;

use super::draw::{fill_rect, PixelRect};
use super::palette::blend;
use crate::report::font::DEJAVU_SANS;

/// Extra space between text lines, in pixels, on top of the font's own line gap.
const LINE_SPACING_PX: u32 = 3;
/// Marks text cut to fit its space.
const ELLIPSIS: char = '…';

/// Returns the report font, parsed once, or `None` if the embedded file is not a font. The
/// report's font registration panics in that case.
fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| match FontRef::try_from_slice(DEJAVU_SANS) {
        Ok(font) => Some(font),
        Err(failure) => {
            error!("assets/fonts/DejaVuSans.ttf is not a font ab_glyph can read ({failure}); overlays get no text");
            None
        }
    })
    .as_ref()
}

/// Height of one text line in pixels for a font of `size_px`: ascent, descent, line gap and
/// [`LINE_SPACING_PX`].
pub fn line_height(size_px: u32) -> u32 {
    let metrics = font().map_or(size_px as f32, |font| {
        let scaled = font.as_scaled(PxScale::from(size_px as f32));
        scaled.height() + scaled.line_gap()
    });
    metrics.ceil() as u32 + LINE_SPACING_PX
}

/// Places the glyphs of `text` on a line whose top-left corner is `(x, y)`. Returns each
/// glyph with its position, and the advance width of the whole line.
fn layout(font: &FontRef<'static>, text: &str, (x, y): (f32, f32), size_px: u32) -> (Vec<ab_glyph::Glyph>, f32) {
    let scale = PxScale::from(size_px as f32);
    let scaled = font.as_scaled(scale);
    let mut caret = point(x, y + scaled.ascent());
    let mut previous: Option<GlyphId> = None;
    let mut glyphs = Vec::new();
    for character in text.chars() {
        let id = scaled.glyph_id(character);
        if let Some(previous) = previous {
            caret.x += scaled.kern(previous, id);
        }
        glyphs.push(id.with_scale_and_position(scale, caret));
        caret.x += scaled.h_advance(id);
        previous = Some(id);
    }
    (glyphs, caret.x - x)
}

/// Width of `text` in pixels: the advance of its glyphs, rounded up.
pub fn text_width(text: &str, size_px: u32) -> u32 {
    font().map_or(0, |font| layout(font, text, (0.0, 0.0), size_px).1.ceil() as u32)
}

/// Returns `text` cut at a character boundary and ended with an ellipsis so that it is at most
/// `max_width` pixels wide, or unchanged when it fits.
pub fn fit_text(text: &str, size_px: u32, max_width: u32) -> String {
    if text_width(text, size_px) <= max_width {
        return text.to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let with_ellipsis = |length: usize| -> String { chars[..length].iter().chain([&ELLIPSIS]).collect() };
    // Binary search for the longest prefix that fits together with the ellipsis.
    let (mut low, mut high) = (0, chars.len());
    while low < high {
        let middle = (low + high).div_ceil(2);
        if text_width(&with_ellipsis(middle), size_px) <= max_width {
            low = middle;
        } else {
            high = middle - 1;
        }
    }
    with_ellipsis(low)
}

/// Draws `text` with its line's top-left corner at `(x, y)`, anti-aliased onto the canvas.
/// Glyphs past the canvas edge are clipped.
pub fn draw_text(canvas: &mut RgbImage, text: &str, (x, y): (i64, i64), size_px: u32, colour: Rgb<u8>) {
    let Some(font) = font() else { return };
    let (width, height) = (canvas.width() as i64, canvas.height() as i64);
    let (glyphs, _) = layout(font, text, (x as f32, y as f32), size_px);
    for glyph in glyphs {
        let Some(outline) = font.outline_glyph(glyph) else { continue };
        let bounds = outline.px_bounds();
        outline.draw(|glyph_x, glyph_y, coverage| {
            let px = bounds.min.x as i64 + glyph_x as i64;
            let py = bounds.min.y as i64 + glyph_y as i64;
            if (0..width).contains(&px) && (0..height).contains(&py) {
                let pixel = canvas.get_pixel_mut(px as u32, py as u32);
                *pixel = blend(*pixel, colour, coverage.clamp(0.0, 1.0));
            }
        });
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

/// Computes the box that [`draw_label`] fills for `text` at `(x, y)`.
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
    fn text_width_matches_drawn_extent() {
        let mut canvas = RgbImage::from_pixel(300, 30, BLACK);
        let text = "chosen: red_mug 0.83";
        draw_text(&mut canvas, text, (0, 0), 16, WHITE);
        let right = (0..canvas.width())
            .filter(|&x| (0..canvas.height()).any(|y| canvas.get_pixel(x, y)[0] > 0))
            .max()
            .expect("text was drawn");
        let width = text_width(text, 16);
        assert!(right < width, "ink reaches column {right}, past the measured width {width}");
        assert!(right + 4 >= width, "ink ends at column {right}, far short of the measured width {width}");
    }

    #[test]
    fn draw_text_clips_at_edge() {
        let mut canvas = RgbImage::from_pixel(30, 10, BLACK);
        draw_text(&mut canvas, "clipped text that runs off", (20, -4), 16, WHITE);
        assert!(canvas.pixels().any(|p| p[0] > 0), "the visible part is drawn");
    }
}
