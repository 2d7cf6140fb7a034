//! Paired statistics per (scene, axis, magnitude) and overall: success of A and B, the
//! difference B − A with a bootstrap interval, and McNemar's exact test.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use anyhow::Context;

use super::{Pair, Pairing};
use crate::report::load::axis_order;
use crate::report::stats::{bootstrap_mean_interval, mcnemar_exact_p, rate};
use crate::report::table::md_cell;

/// Paired results of one condition, or of all pairs when `magnitude` is `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareRow {
    /// Scene name; `all` in the overall row.
    pub scene: String,
    pub axis: String,
    pub magnitude: Option<f64>,
    pub unit: String,
    pub pairs: u64,
    pub successes_a: u64,
    pub successes_b: u64,
    /// Mean of (B success − A success) over the pairs.
    pub difference: f64,
    /// 95 % percentile bootstrap interval of `difference`.
    pub interval: (f64, f64),
    /// Pairs where only A succeeded (McNemar's b).
    pub only_a: u64,
    /// Pairs where only B succeeded (McNemar's c).
    pub only_b: u64,
    pub p_value: f64,
}

/// Summarises `pairs` per condition, in scene, axis and magnitude order, then over all pairs.
/// Each bootstrap starts from `seed`, so a condition's interval does not depend on the others.
pub fn summarize(pairs: &[Pair], resamples: usize, seed: u64) -> Vec<CompareRow> {
    let mut groups: BTreeMap<(String, (bool, String), OrderedMagnitude), Vec<&Pair>> = BTreeMap::new();
    for pair in pairs {
        let (base_last, axis) = axis_order(&pair.a.axis);
        let key = (pair.a.row.scene.name.clone(), (base_last, axis.to_owned()), OrderedMagnitude(pair.a.magnitude));
        groups.entry(key).or_default().push(pair);
    }
    let mut rows: Vec<CompareRow> = groups
        .into_iter()
        .map(|((scene, (_, axis), magnitude), members)| {
            let unit = members[0].a.unit.clone();
            summarize_group(scene, axis, Some(magnitude.0), unit, &members, resamples, seed)
        })
        .collect();
    let all: Vec<&Pair> = pairs.iter().collect();
    rows.push(summarize_group("all".to_owned(), "all".to_owned(), None, String::new(), &all, resamples, seed));
    rows
}

/// Magnitude with the total order of `f64::total_cmp`, for use as a map key.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedMagnitude(f64);

impl Eq for OrderedMagnitude {}

impl PartialOrd for OrderedMagnitude {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedMagnitude {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

fn summarize_group(
    scene: String,
    axis: String,
    magnitude: Option<f64>,
    unit: String,
    pairs: &[&Pair],
    resamples: usize,
    seed: u64,
) -> CompareRow {
    let success = |row: &crate::report::load::LoadedRow| row.row.outcome.success;
    let differences: Vec<f64> = pairs.iter().map(|p| f64::from(u8::from(success(&p.b))) - f64::from(u8::from(success(&p.a)))).collect();
    let only_a = pairs.iter().filter(|p| success(&p.a) && !success(&p.b)).count() as u64;
    let only_b = pairs.iter().filter(|p| !success(&p.a) && success(&p.b)).count() as u64;
    let n = pairs.len() as u64;
    CompareRow {
        scene,
        axis,
        magnitude,
        unit,
        pairs: n,
        successes_a: pairs.iter().filter(|p| success(&p.a)).count() as u64,
        successes_b: pairs.iter().filter(|p| success(&p.b)).count() as u64,
        difference: differences.iter().sum::<f64>() / n.max(1) as f64,
        interval: bootstrap_mean_interval(&differences, resamples, seed).unwrap_or((0.0, 0.0)),
        only_a,
        only_b,
        p_value: mcnemar_exact_p(only_a, only_b),
    }
}

fn magnitude_cell(row: &CompareRow) -> String {
    row.magnitude.map_or_else(|| "all".to_owned(), |m| m.to_string())
}

/// Renders the comparison as Markdown: the inputs, then one table row per condition and the
/// overall row.
pub fn render_markdown(pairing: &Pairing, rows: &[CompareRow], inputs: (&str, &str), resamples: usize, seed: u64) -> String {
    let mut out = String::from("# Paired comparison\n\n");
    let _ = writeln!(out, "- A: `{}`, perception {}", inputs.0, pairing.label_a);
    let _ = writeln!(out, "- B: `{}`, perception {}", inputs.1, pairing.label_b);
    let _ = writeln!(out, "- pairs: {} (matched by scene sha256, perturbations and seed)", pairing.pairs.len());
    let _ = writeln!(out, "- difference: B − A in success share; 95 % percentile bootstrap over pairs, {resamples} resamples, seed {seed}");
    out.push_str("- p: McNemar's exact two-sided test on the pairs where only A or only B succeeded\n");
    if !pairing.one_sided_keys.is_empty() {
        let keys: Vec<&str> = pairing.one_sided_keys.iter().map(String::as_str).collect();
        let _ = writeln!(out, "- perception settings recorded by one side only (not compared): {}", keys.join(", "));
    }
    out.push_str("\n| scene | axis | magnitude | unit | pairs | success A | success B | B − A | 95 % interval | only A | only B | p |\n");
    out.push_str("|---|---|---:|---|---:|---:|---:|---:|---|---:|---:|---:|\n");
    for row in rows {
        let n = row.pairs;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {n} | {:.3} ({}) | {:.3} ({}) | {:+.3} | {:+.3} to {:+.3} | {} | {} | {:.4} |",
            md_cell(&row.scene),
            md_cell(&row.axis),
            magnitude_cell(row),
            md_cell(&row.unit),
            rate(row.successes_a, n),
            row.successes_a,
            rate(row.successes_b, n),
            row.successes_b,
            row.difference,
            row.interval.0,
            row.interval.1,
            row.only_a,
            row.only_b,
            row.p_value,
        );
    }
    out
}

/// Writes the comparison rows as CSV.
pub fn write_csv(path: &Path, rows: &[CompareRow]) -> anyhow::Result<()> {
    let mut writer = csv::Writer::from_path(path).with_context(|| format!("cannot create {}", path.display()))?;
    writer.write_record([
        "scene",
        "axis",
        "magnitude",
        "unit",
        "pairs",
        "successes_a",
        "successes_b",
        "rate_a",
        "rate_b",
        "difference",
        "interval_low",
        "interval_high",
        "only_a",
        "only_b",
        "mcnemar_p",
    ])?;
    for row in rows {
        writer.write_record([
            row.scene.clone(),
            row.axis.clone(),
            magnitude_cell(row),
            row.unit.clone(),
            row.pairs.to_string(),
            row.successes_a.to_string(),
            row.successes_b.to_string(),
            format!("{:.4}", rate(row.successes_a, row.pairs)),
            format!("{:.4}", rate(row.successes_b, row.pairs)),
            format!("{:.4}", row.difference),
            format!("{:.4}", row.interval.0),
            format!("{:.4}", row.interval.1),
            row.only_a.to_string(),
            row.only_b.to_string(),
            format!("{:.6}", row.p_value),
        ])?;
    }
    writer.flush().with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episode::FailureKind;
    use crate::report::fixture::{loaded, swept_row};

    fn pair(axis: &str, magnitude: f64, seed: u64, a_success: bool, b_success: bool) -> Pair {
        let outcome = |ok: bool| if ok { None } else { Some(FailureKind::WrongObject) };
        Pair {
            a: loaded(swept_row("siglip", axis, magnitude, seed, outcome(a_success))),
            b: loaded(swept_row("clip", axis, magnitude, seed, outcome(b_success))),
        }
    }

    #[test]
    fn summary_counts_discordant_pairs() {
        let mut pairs = Vec::new();
        // 10 pairs where only A succeeded, 2 where only B did, 3 where both did.
        for seed in 0..10 {
            pairs.push(pair("camera_azimuth", 20.0, seed, true, false));
        }
        for seed in 10..12 {
            pairs.push(pair("camera_azimuth", 20.0, seed, false, true));
        }
        for seed in 12..15 {
            pairs.push(pair("base", 0.0, seed, true, true));
        }
        let rows = summarize(&pairs, 1000, 1);
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].axis.as_str(), rows[0].pairs, rows[0].p_value), ("base", 3, 1.0));
        let azimuth = &rows[1];
        assert_eq!((azimuth.only_a, azimuth.only_b), (10, 2));
        assert!((azimuth.p_value - 0.0386).abs() < 1e-3, "p = {}", azimuth.p_value);
        assert!((azimuth.difference - (-8.0 / 12.0)).abs() < 1e-12);
        assert!(azimuth.interval.0 < azimuth.difference, "interval {:?}", azimuth.interval);
        assert!(azimuth.difference < azimuth.interval.1, "interval {:?}", azimuth.interval);
        let overall = &rows[2];
        assert_eq!((overall.scene.as_str(), overall.magnitude, overall.pairs), ("all", None, 15));
        assert_eq!((overall.successes_a, overall.successes_b), (13, 5));
    }
}
