//! Success rates per scene and perception, with Wilson score intervals.

use std::collections::BTreeMap;
use std::fmt::Write;

use pickloop::episode::EvidenceRow;

/// z for a two-sided 95 % interval.
const Z_95: f64 = 1.959_963_984_540_054;

#[derive(Debug, Default)]
struct Group {
    episodes: u64,
    successes: u64,
    failures: BTreeMap<&'static str, u64>,
    wall_time_s: f64,
}

/// Counts of a run, grouped by (scene, perception).
#[derive(Debug, Default)]
pub struct Summary {
    groups: BTreeMap<(String, String), Group>,
}

impl Summary {
    pub fn add(&mut self, row: &EvidenceRow) {
        let group = self
            .groups
            .entry((row.scene.name.clone(), row.perception.name.clone()))
            .or_default();
        group.episodes += 1;
        group.wall_time_s += f64::from(row.wall_time_s);
        match row.outcome.failure {
            None => group.successes += 1,
            Some(kind) => *group.failures.entry(kind.as_str()).or_default() += 1,
        }
    }

    /// Groups whose success rate is below `rate`, with their rate.
    pub fn below(&self, rate: f64) -> Vec<(String, f64)> {
        self.groups
            .iter()
            .filter_map(|((scene, perception), g)| {
                let observed = g.successes as f64 / g.episodes.max(1) as f64;
                (observed < rate).then(|| (format!("{scene} / {perception}"), observed))
            })
            .collect()
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| scene | perception | episodes | success | rate | 95% interval | failures | wall s/episode |\n\
             |---|---|---:|---:|---:|---|---|---:|\n",
        );
        for ((scene, perception), g) in &self.groups {
            let (low, high) = wilson_interval(g.successes, g.episodes);
            let failures = if g.failures.is_empty() {
                "-".to_owned()
            } else {
                g.failures.iter().map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
            };
            let _ = writeln!(
                out,
                "| {scene} | {perception} | {} | {} | {:.2} | {:.2}–{:.2} | {failures} | {:.2} |",
                g.episodes,
                g.successes,
                g.successes as f64 / g.episodes.max(1) as f64,
                low,
                high,
                g.wall_time_s / g.episodes.max(1) as f64,
            );
        }
        out
    }
}

/// Wilson score interval for `successes` out of `n` at 95 % confidence.
pub fn wilson_interval(successes: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n_f = n as f64;
    let p = successes as f64 / n_f;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n_f;
    let centre = (p + z2 / (2.0 * n_f)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n_f + z2 / (4.0 * n_f * n_f)).sqrt() / denominator;
    // At 0 or n successes the bound is exactly 0 or 1; rounding would leave a few ulps.
    let low = if successes == 0 { 0.0 } else { (centre - half).max(0.0) };
    let high = if successes == n { 1.0 } else { (centre + half).min(1.0) };
    (low, high)
}

#[cfg(test)]
mod tests {
    use super::wilson_interval;

    #[test]
    fn wilson_matches_known_values() {
        // 19 of 20: the Wilson 95 % interval is about 0.764 to 0.991.
        let (low, high) = wilson_interval(19, 20);
        assert!((low - 0.7639).abs() < 1e-3, "low = {low}");
        assert!((high - 0.9911).abs() < 1e-3, "high = {high}");
    }

    #[test]
    fn wilson_bounds_stay_in_unit_interval() {
        assert_eq!(wilson_interval(0, 10).0, 0.0);
        assert_eq!(wilson_interval(10, 10).1, 1.0);
        assert_eq!(wilson_interval(0, 0), (0.0, 1.0));
    }
}
