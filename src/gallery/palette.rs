//! Colours of the overlay and the colour map of the tracking heat map.

use image::Rgb;

/// Outline and label colour of a candidate that covers the target object.
pub const TARGET_COLOUR: Rgb<u8> = Rgb([40, 200, 90]);
/// Outline and label colour of a candidate that covers another object or no object.
pub const OTHER_COLOUR: Rgb<u8> = Rgb([235, 55, 45]);
/// Text on label backgrounds and in the caption.
pub const TEXT_COLOUR: Rgb<u8> = Rgb([240, 240, 240]);
/// Text that marks a lost target in the caption.
pub const LOST_TEXT_COLOUR: Rgb<u8> = Rgb([255, 150, 90]);
/// Background of the caption strip and of the labels of candidates that were not chosen.
pub const CAPTION_BACKGROUND: Rgb<u8> = Rgb([22, 24, 28]);
/// Cross on the tracker's match and outline of the heat map's best cell.
pub const MARKER_COLOUR: Rgb<u8> = Rgb([255, 255, 255]);
/// Outline around the cross, so that it shows on light and dark cells alike.
pub const MARKER_OUTLINE: Rgb<u8> = Rgb([0, 0, 0]);

/// Opacity of the heat map over the frame: 0 leaves the frame, 1 hides it.
pub const HEAT_ALPHA: f32 = 0.45;
/// Match score drawn with the first colour of the map; lower scores are clamped to it.
pub const HEAT_SCORE_MIN: f32 = 0.0;
/// Match score drawn with the last colour of the map. Cosine scores never exceed 1.
pub const HEAT_SCORE_MAX: f32 = 1.0;

/// Samples of matplotlib's viridis colour map at 0, 1/8, …, 1. Viridis is perceptually
/// uniform and stays readable in greyscale and for common colour-vision deficiencies.
const VIRIDIS: [[u8; 3]; 9] = [
    [68, 1, 84],
    [71, 44, 122],
    [59, 81, 139],
    [44, 113, 142],
    [33, 144, 141],
    [39, 173, 129],
    [92, 200, 99],
    [170, 220, 50],
    [253, 231, 37],
];

/// Maps a match score to its heat map colour, linearly between the viridis samples over
/// [`HEAT_SCORE_MIN`]..=[`HEAT_SCORE_MAX`]. A NaN score maps to the first colour.
pub fn heat_colour(score: f32) -> Rgb<u8> {
    let span = HEAT_SCORE_MAX - HEAT_SCORE_MIN;
    let share = ((score - HEAT_SCORE_MIN) / span).clamp(0.0, 1.0);
    let share = if share.is_nan() { 0.0 } else { share };
    let position = share * (VIRIDIS.len() - 1) as f32;
    let lower = (position.floor() as usize).min(VIRIDIS.len() - 2);
    let weight = position - lower as f32;
    let channel = |c: usize| {
        let (a, b) = (VIRIDIS[lower][c] as f32, VIRIDIS[lower + 1][c] as f32);
        (a + (b - a) * weight).round() as u8
    };
    Rgb([channel(0), channel(1), channel(2)])
}

/// Mixes `over` into `under` with opacity `alpha` in 0..=1.
pub fn blend(under: Rgb<u8>, over: Rgb<u8>, alpha: f32) -> Rgb<u8> {
    let mix = |u: u8, o: u8| (u as f32 + (o as f32 - u as f32) * alpha).round() as u8;
    Rgb([mix(under[0], over[0]), mix(under[1], over[1]), mix(under[2], over[2])])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_colour_ends_match_samples() {
        assert_eq!(heat_colour(HEAT_SCORE_MIN), Rgb(VIRIDIS[0]));
        assert_eq!(heat_colour(HEAT_SCORE_MAX), Rgb(VIRIDIS[8]));
        assert_eq!(heat_colour(-0.7), Rgb(VIRIDIS[0]));
        assert_eq!(heat_colour(f32::NAN), Rgb(VIRIDIS[0]));
    }

    #[test]
    fn heat_colour_brightens_with_score() {
        let luminance = |c: Rgb<u8>| 0.2126 * c[0] as f32 + 0.7152 * c[1] as f32 + 0.0722 * c[2] as f32;
        let scores: Vec<f32> = (0..=20).map(|i| i as f32 / 20.0).collect();
        for pair in scores.windows(2) {
            assert!(
                luminance(heat_colour(pair[1])) > luminance(heat_colour(pair[0])),
                "luminance falls between scores {} and {}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn blend_weights_by_alpha() {
        let under = Rgb([0, 100, 200]);
        let over = Rgb([200, 100, 0]);
        assert_eq!(blend(under, over, 0.0), under);
        assert_eq!(blend(under, over, 1.0), over);
        assert_eq!(blend(under, over, 0.5), Rgb([100, 100, 100]));
    }
}
