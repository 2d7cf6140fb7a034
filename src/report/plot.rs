//! Success rate against magnitude, one PNG per (scene, axis), one line per perception label
//! with Wilson 95 % error bars.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tracing::info;

use super::font::{register_fonts, FONT_FAMILY};
use super::group::Condition;
use super::load::BASE_AXIS;

const PLOT_WIDTH_PX: u32 = 900;
const PLOT_HEIGHT_PX: u32 = 600;
const TITLE_FONT_PX: u32 = 26;
const LABEL_FONT_PX: u32 = 18;
const MARGIN_PX: u32 = 16;
const ERROR_BAR_WIDTH_PX: u32 = 10;
const POINT_RADIUS_PX: u32 = 4;
/// Share of the magnitude range added on each side so end points and bars stay inside.
const X_PADDING_SHARE: f64 = 0.06;
/// Half-width of the x range when every point has the same magnitude.
const SINGLE_MAGNITUDE_HALF_RANGE: f64 = 1.0;
/// Top of the y axis, above 1 so error bars that reach 1 stay visible.
const Y_MAX: f64 = 1.05;
/// Width of the legend strip right of the chart, pixels.
const LEGEND_WIDTH_PX: u32 = 240;
const LEGEND_ROW_PX: i32 = 26;
const LEGEND_SWATCH_PX: i32 = 24;
/// Horizontal offset between the lines of neighbouring labels, as a share of the x range, so
/// that error bars at the same magnitude do not cover each other.
const DODGE_SHARE: f64 = 0.008;
/// Line colours in label order: the Tableau 10 palette, distinct on white and in greyscale
/// steps; labels beyond ten reuse it.
const LINE_COLOURS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (214, 39, 40),
    (44, 160, 44),
    (255, 127, 14),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

/// One point of a line: magnitude, success rate and its Wilson interval.
#[derive(Debug, Clone, PartialEq)]
pub struct PlotPoint {
    pub magnitude: f64,
    pub rate: f64,
    pub low: f64,
    pub high: f64,
}

/// The lines of one (scene, axis) plot.
#[derive(Debug, Clone)]
pub struct AxisPlot {
    pub scene: String,
    pub axis: String,
    pub unit: String,
    /// Points per perception label, sorted by magnitude.
    pub lines: BTreeMap<String, Vec<PlotPoint>>,
}

/// Collects a plot for every perturbed axis. The base scene of the same perception joins each
/// line at magnitude 0, unless the axis has its own magnitude 0 for that perception.
pub fn axis_plots(conditions: &[Condition]) -> Vec<AxisPlot> {
    let mut plots: BTreeMap<(String, String), AxisPlot> = BTreeMap::new();
    for c in conditions.iter().filter(|c| c.axis != BASE_AXIS) {
        let plot = plots.entry((c.scene.clone(), c.axis.clone())).or_insert_with(|| AxisPlot {
            scene: c.scene.clone(),
            axis: c.axis.clone(),
            unit: c.unit.clone(),
            lines: BTreeMap::new(),
        });
        plot.lines.entry(c.label.clone()).or_default().push(point(c, c.magnitude));
    }
    for plot in plots.values_mut() {
        for (label, points) in &mut plot.lines {
            let base = conditions.iter().find(|c| c.scene == plot.scene && c.axis == BASE_AXIS && &c.label == label);
            if let Some(base) = base
                && !points.iter().any(|p| p.magnitude == 0.0)
            {
                points.push(point(base, 0.0));
            }
            points.sort_by(|a, b| a.magnitude.total_cmp(&b.magnitude));
        }
    }
    plots.into_values().collect()
}

fn point(condition: &Condition, magnitude: f64) -> PlotPoint {
    let (low, high) = condition.counts.interval();
    PlotPoint { magnitude, rate: condition.counts.rate(), low, high }
}

/// File name of a plot, `SCENE__AXIS.png`, with characters other than letters, digits, `-`,
/// `_` and `.` replaced by `_`.
pub fn plot_file_name(scene: &str, axis: &str) -> String {
    let safe = |text: &str| -> String {
        text.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect()
    };
    format!("{}__{}.png", safe(scene), safe(axis))
}

/// Draws every plot into `dir` and returns the files written.
pub fn write_plots(dir: &Path, plots: &[AxisPlot]) -> anyhow::Result<Vec<PathBuf>> {
    if plots.is_empty() {
        info!("no perturbed axes in the rows, so no plots were drawn");
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the plot directory {}", dir.display()))?;
    register_fonts();
    let mut files = Vec::with_capacity(plots.len());
    for plot in plots {
        let path = dir.join(plot_file_name(&plot.scene, &plot.axis));
        draw_plot(&path, plot).map_err(|error| anyhow!("cannot draw {}: {error}", path.display()))?;
        files.push(path);
    }
    info!(count = files.len(), dir = %dir.display(), "wrote plots");
    Ok(files)
}

fn x_range(plot: &AxisPlot) -> (f64, f64) {
    let magnitudes = plot.lines.values().flatten().map(|p| p.magnitude);
    let (min, max) = magnitudes.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| (lo.min(m), hi.max(m)));
    if max - min <= f64::EPSILON {
        return (min - SINGLE_MAGNITUDE_HALF_RANGE, max + SINGLE_MAGNITUDE_HALF_RANGE);
    }
    let pad = (max - min) * X_PADDING_SHARE;
    (min - pad, max + pad)
}

fn draw_plot(path: &Path, plot: &AxisPlot) -> Result<(), Box<dyn std::error::Error>> {
    let root = BitMapBackend::new(path, (PLOT_WIDTH_PX, PLOT_HEIGHT_PX)).into_drawing_area();
    root.fill(&WHITE)?;
    let (chart_area, legend_area) = root.split_horizontally(PLOT_WIDTH_PX - LEGEND_WIDTH_PX);
    let (x_min, x_max) = x_range(plot);
    let unit = if plot.unit.is_empty() { String::new() } else { format!(" ({})", plot.unit) };
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(format!("{}: success rate vs {}", plot.scene, plot.axis), (FONT_FAMILY, TITLE_FONT_PX))
        .margin(MARGIN_PX)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(x_min..x_max, 0.0..Y_MAX)?;
    chart
        .configure_mesh()
        .x_desc(format!("{}{unit}", plot.axis))
        .y_desc("success rate (Wilson 95 % interval)")
        .x_label_formatter(&|value| tick_label(*value))
        .y_label_formatter(&|value| tick_label(*value))
        .label_style((FONT_FAMILY, LABEL_FONT_PX))
        .axis_desc_style((FONT_FAMILY, LABEL_FONT_PX))
        .draw()?;

    let lines = plot.lines.len() as f64;
    for (index, points) in plot.lines.values().enumerate() {
        let colour = line_colour(index);
        let dodge = (index as f64 - (lines - 1.0) / 2.0) * DODGE_SHARE * (x_max - x_min);
        let at = |p: &PlotPoint| p.magnitude + dodge;
        chart.draw_series(LineSeries::new(points.iter().map(|p| (at(p), p.rate)), colour.stroke_width(2)))?;
        chart.draw_series(
            points
                .iter()
                .map(|p| ErrorBar::new_vertical(at(p), p.low, p.rate, p.high, colour.stroke_width(1), ERROR_BAR_WIDTH_PX)),
        )?;
        chart.draw_series(points.iter().map(|p| Circle::new((at(p), p.rate), POINT_RADIUS_PX, colour.filled())))?;
    }
    draw_legend(&legend_area, plot.lines.keys())?;
    root.present()?;
    Ok(())
}

/// Draws one swatch and label per line, top to bottom, in the strip right of the chart.
fn draw_legend<'a>(
    area: &DrawingArea<BitMapBackend<'_>, plotters::coord::Shift>,
    labels: impl Iterator<Item = &'a String>,
) -> Result<(), Box<dyn std::error::Error>> {
    let top = (MARGIN_PX + TITLE_FONT_PX) as i32 + LEGEND_ROW_PX;
    for (index, label) in labels.enumerate() {
        let y = top + index as i32 * LEGEND_ROW_PX;
        let colour = line_colour(index);
        area.draw(&PathElement::new(vec![(0, y), (LEGEND_SWATCH_PX, y)], colour.stroke_width(3)))?;
        area.draw(&Circle::new((LEGEND_SWATCH_PX / 2, y), POINT_RADIUS_PX, colour.filled()))?;
        let style = TextStyle::from((FONT_FAMILY, LABEL_FONT_PX).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
        area.draw(&Text::new(label.clone(), (LEGEND_SWATCH_PX + 8, y), style))?;
    }
    Ok(())
}

fn line_colour(index: usize) -> RGBColor {
    let (r, g, b) = LINE_COLOURS[index % LINE_COLOURS.len()];
    RGBColor(r, g, b)
}

/// Tick text with at most three decimals and no trailing zeros: `-20`, `0.5`, `0.125`.
fn tick_label(value: f64) -> String {
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" { "0".to_owned() } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episode::FailureKind;
    use crate::report::fixture::{loaded, swept_row};
    use crate::report::group::conditions;
    use crate::report::load::compare_rows;

    fn sample_conditions() -> Vec<Condition> {
        let mut rows = vec![
            loaded(swept_row("siglip", "base", 0.0, 1000, None)),
            loaded(swept_row("siglip", "camera_azimuth", 20.0, 1000, Some(FailureKind::WrongObject))),
            loaded(swept_row("siglip", "camera_azimuth", -20.0, 1000, None)),
            loaded(swept_row("oracle", "camera_azimuth", 20.0, 1000, None)),
        ];
        rows.sort_by(compare_rows);
        conditions(&rows).unwrap()
    }

    #[test]
    fn base_joins_axis_at_zero() {
        let plots = axis_plots(&sample_conditions());
        assert_eq!(plots.len(), 1);
        let magnitudes: Vec<f64> = plots[0].lines["siglip"].iter().map(|p| p.magnitude).collect();
        assert_eq!(magnitudes, [-20.0, 0.0, 20.0]);
        // The oracle has no base rows, so its line has only its own point.
        assert_eq!(plots[0].lines["oracle"].len(), 1);
    }

    #[test]
    fn tick_label_trims_zeros() {
        assert_eq!(tick_label(-20.0), "-20");
        assert_eq!(tick_label(0.5), "0.5");
        assert_eq!(tick_label(-0.0001), "0");
    }

    #[test]
    fn plot_file_name_replaces_separators() {
        assert_eq!(plot_file_name("table/mugs", "light level"), "table_mugs__light_level.png");
    }

    #[test]
    fn plots_are_written_as_png() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_plots(dir.path(), &axis_plots(&sample_conditions())).unwrap();
        assert_eq!(files, [dir.path().join("tabletop_mugs__camera_azimuth.png")]);
        let image = image::open(&files[0]).unwrap();
        assert_eq!((image.width(), image.height()), (PLOT_WIDTH_PX, PLOT_HEIGHT_PX));
    }
}
