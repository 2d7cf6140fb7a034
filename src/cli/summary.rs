//! Success rates per scene and perception, with Wilson score intervals.

use std::collections::BTreeMap;
use std::fmt::Write;

use pickloop::episode::EvidenceRow;
use pickloop::report::stats::wilson_interval;

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
