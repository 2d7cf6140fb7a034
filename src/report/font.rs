//! The one font used for plot labels and frame overlays, compiled into the binary so that
//! reports need neither system fonts nor an assets directory.

use std::sync::Once;

/// DejaVu Sans (Bitstream Vera licence, see assets/fonts/DejaVuSans.LICENSE).
pub const DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Family name under which the font is registered with plotters.
pub const FONT_FAMILY: &str = "sans-serif";

/// Registers the font with plotters' text renderer. Safe to call any number of times.
pub fn register_fonts() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        if plotters::style::register_font(FONT_FAMILY, plotters::style::FontStyle::Normal, DEJAVU_SANS).is_err() {
            // The bytes are a fixed, valid TrueType file, so this only fires if the file in
            // assets/fonts was replaced by something else.
            panic!("assets/fonts/DejaVuSans.ttf is not a font ab_glyph can read");
        }
    });
}
