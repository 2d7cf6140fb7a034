//! The model card (`README.md`) written beside a trained checkpoint: what it was trained on,
//! how to reproduce it, what it measured and what it cannot do.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};

use super::TrainReport;
use super::data::Manifest;

/// One row of the card's quality table: a metric for the trained and the randomly
/// initialised weights.
#[derive(Debug, Clone)]
pub struct MetricRow {
    pub metric: String,
    pub trained: (usize, usize),
    pub random_init: (usize, usize),
}

/// Everything a card states.
#[derive(Debug, Clone)]
pub struct ModelCard<'a> {
    pub title: &'a str,
    pub summary: &'a str,
    /// The exact argv that trained the checkpoint.
    pub command: &'a str,
    pub manifest: &'a Manifest,
    /// The settings, as written to `training.json`.
    pub settings: &'a serde_json::Value,
    pub report: &'a TrainReport,
    pub metrics: &'a [MetricRow],
    pub metric_notes: &'a str,
    pub limits: &'a [String],
    pub machine: &'a str,
}

fn percent((correct, total): (usize, usize)) -> String {
    if total == 0 {
        return "n/a (0 cases)".into();
    }
    format!("{:.1} % ({correct}/{total})", 100.0 * correct as f64 / total as f64)
}

impl ModelCard<'_> {
    /// Returns the card as Markdown with Hugging Face front matter.
    pub fn render(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(text, "---\nlibrary_name: pickloop\ntags: [pickloop, simulation, robotics]\n---\n");
        let _ = writeln!(text, "# {}\n\n{}\n", self.title, self.summary);

        let _ = writeln!(text, "## Reproduce\n\nData (written by `pickloop dataset`):\n\n```\n{}\n```\n", self.manifest.command);
        let _ = writeln!(text, "Training:\n\n```\n{}\n```\n", self.command);
        let _ = writeln!(
            text,
            "Both commands are deterministic for their seeds on one build and machine. Add `--force` to \
             write over an existing checkpoint.\n"
        );

        let held_out: Vec<String> = self.manifest.held_out.iter().map(|combination| combination.join(" ")).collect();
        let _ = writeln!(
            text,
            "## Data\n\n{} procedural scenes (tabletop and warehouse shelves), dataset seed {}, renders of {} px. \
             Colour and shape combinations kept out of training: {}.\n",
            self.manifest.scenes,
            self.manifest.seed,
            self.manifest.size_px,
            held_out.join(", ")
        );

        let loss = |value: Option<f64>| value.map_or("n/a".into(), |loss| format!("{loss:.4}"));
        let _ = writeln!(text, "## Training\n");
        let _ = writeln!(text, "- Steps: {}; parameters: {}", self.report.steps, self.report.parameters);
        let _ = writeln!(
            text,
            "- Loss: {} over the first {window} steps, {} over the last {window}",
            loss(self.report.first_loss),
            loss(self.report.last_loss),
            window = self.report.loss_window
        );
        let _ = writeln!(text, "- Training time: {:.0} s on {}", self.report.seconds, self.machine);
        let _ = writeln!(
            text,
            "- Settings (also in `training.json`, with every step's loss):\n\n```json\n{}\n```\n",
            serde_json::to_string_pretty(self.settings).unwrap_or_default()
        );

        let _ = writeln!(text, "## Measured on the test split\n\n{}\n", self.metric_notes);
        let _ = writeln!(text, "| metric | trained | random initialisation |\n|---|---|---|");
        for row in self.metrics {
            let _ = writeln!(text, "| {} | {} | {} |", row.metric, percent(row.trained), percent(row.random_init));
        }

        let _ = writeln!(text, "\n## Known limits\n");
        for limit in self.limits {
            let _ = writeln!(text, "- {limit}");
        }
        text
    }

    pub fn write(&self, out: &Path) -> Result<()> {
        let path = out.join("README.md");
        std::fs::write(&path, self.render()).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Describes this machine for the card's training time: CPU model, core count and one-minute
/// load average. A load above the core count means other work shared the CPU.
pub fn machine_description() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_else(|| "an unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|loads| loads.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    format!("{model}, {cores} cores (load average {load} when training ended)")
}
