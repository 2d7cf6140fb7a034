//! `--min-success` gates: a minimum success rate per (scene, perception label, axis), pooled
//! over the axis's magnitudes, with optional thresholds for single axes.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use anyhow::bail;

use super::group::AxisGroup;

/// One `--min-success` value: `RATE` for every axis or `AXIS=RATE` for one.
#[derive(Debug, Clone, PartialEq)]
pub enum GateSpec {
    All(f64),
    Axis { axis: String, rate: f64 },
}

impl FromStr for GateSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.split_once('=') {
            Some((axis, rate)) => {
                let axis = axis.trim();
                if axis.is_empty() {
                    return Err(format!("invalid gate {text:?}: the axis name before '=' is empty; write AXIS=RATE"));
                }
                Ok(GateSpec::Axis { axis: axis.to_owned(), rate: parse_rate(rate, text)? })
            }
            None => Ok(GateSpec::All(parse_rate(text, text)?)),
        }
    }
}

fn parse_rate(rate: &str, whole: &str) -> Result<f64, String> {
    let value: f64 = rate
        .trim()
        .parse()
        .map_err(|_| format!("invalid gate {whole:?}: {rate:?} is not a number; write a share such as 0.8"))?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("invalid gate {whole:?}: rate {value} is outside 0..=1; write a share such as 0.8"));
    }
    Ok(value)
}

/// Thresholds from all `--min-success` values: one default and per-axis overrides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gates {
    pub default: Option<f64>,
    pub per_axis: BTreeMap<String, f64>,
}

impl Gates {
    pub fn from_specs(specs: &[GateSpec]) -> anyhow::Result<Self> {
        let mut gates = Gates::default();
        for spec in specs {
            match spec {
                GateSpec::All(rate) => {
                    if let Some(previous) = gates.default.replace(*rate) {
                        bail!("--min-success is given twice for all axes ({previous} and {rate}); keep one");
                    }
                }
                GateSpec::Axis { axis, rate } => {
                    if let Some(previous) = gates.per_axis.insert(axis.clone(), *rate) {
                        bail!("--min-success is given twice for axis {axis} ({previous} and {rate}); keep one");
                    }
                }
            }
        }
        Ok(gates)
    }

    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.per_axis.is_empty()
    }

    /// Threshold for `axis`: its override, else the default, else none.
    pub fn threshold(&self, axis: &str) -> Option<f64> {
        self.per_axis.get(axis).copied().or(self.default)
    }
}

/// Result of one gate on one (scene, perception label, axis) group.
#[derive(Debug, Clone, PartialEq)]
pub struct GateResult {
    pub scene: String,
    pub label: String,
    pub axis: String,
    pub episodes: u64,
    pub successes: u64,
    pub rate: f64,
    pub threshold: f64,
    pub passed: bool,
}

/// Checks every axis group that has a threshold and rows not marked `baseline`. Fails when an
/// axis override names an axis that no row has, since a misspelt axis would pass silently.
pub fn evaluate(groups: &[AxisGroup], gates: &Gates) -> anyhow::Result<Vec<GateResult>> {
    let axes: BTreeSet<&str> = groups.iter().map(|g| g.axis.as_str()).collect();
    for axis in gates.per_axis.keys() {
        if !axes.contains(axis.as_str()) {
            let known: Vec<&str> = axes.iter().copied().collect();
            bail!("--min-success names axis {axis:?}, which no row has; axes present: {}", known.join(", "));
        }
    }
    let mut results = Vec::new();
    for group in groups {
        let Some(threshold) = gates.threshold(&group.axis) else { continue };
        if group.gated.episodes == 0 {
            continue;
        }
        let rate = group.gated.rate();
        results.push(GateResult {
            scene: group.scene.clone(),
            label: group.label.clone(),
            axis: group.axis.clone(),
            episodes: group.gated.episodes,
            successes: group.gated.successes,
            rate,
            threshold,
            passed: rate >= threshold,
        });
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episode::FailureKind;
    use crate::report::fixture::{loaded, swept_row};
    use crate::report::group::axis_groups;

    fn groups() -> Vec<AxisGroup> {
        let rows = vec![
            loaded(swept_row("siglip", "base", 0.0, 1000, None)),
            loaded(swept_row("siglip", "camera_azimuth", 20.0, 1000, None)),
            loaded(swept_row("siglip", "camera_azimuth", 40.0, 1000, Some(FailureKind::WrongObject))),
            loaded(swept_row("siglip", "light", 0.5, 1000, None)),
            loaded(swept_row("oracle", "camera_azimuth", 40.0, 1000, Some(FailureKind::Timeout))),
        ];
        axis_groups(&rows)
    }

    #[test]
    fn spec_parses_rate_and_axis() {
        assert_eq!("0.8".parse::<GateSpec>(), Ok(GateSpec::All(0.8)));
        assert_eq!(
            "camera_azimuth=0.5".parse::<GateSpec>(),
            Ok(GateSpec::Axis { axis: "camera_azimuth".to_owned(), rate: 0.5 })
        );
    }

    #[test]
    fn spec_rejects_out_of_range_rate() {
        for text in ["1.5", "-0.1", "axis=2", "NaN", "x", "=0.5"] {
            assert!(text.parse::<GateSpec>().is_err(), "{text} was accepted");
        }
    }

    #[test]
    fn override_replaces_default_for_axis() {
        let specs = [GateSpec::All(0.9), GateSpec::Axis { axis: "camera_azimuth".to_owned(), rate: 0.5 }];
        let gates = Gates::from_specs(&specs).unwrap();
        let results = evaluate(&groups(), &gates).unwrap();
        let summary: Vec<(&str, f64, bool)> = results.iter().map(|r| (r.axis.as_str(), r.threshold, r.passed)).collect();
        // The oracle row is a baseline and is not gated.
        assert_eq!(summary, [("base", 0.9, true), ("camera_azimuth", 0.5, true), ("light", 0.9, true)]);
        assert_eq!(results[1].episodes, 2);
        assert_eq!(results[1].rate, 0.5);
    }

    #[test]
    fn gate_below_threshold_fails() {
        let gates = Gates::from_specs(&[GateSpec::All(0.6)]).unwrap();
        let failed: Vec<String> = evaluate(&groups(), &gates)
            .unwrap()
            .into_iter()
            .filter(|r| !r.passed)
            .map(|r| format!("{}/{}", r.label, r.axis))
            .collect();
        assert_eq!(failed, ["siglip/camera_azimuth"]);
    }

    #[test]
    fn unknown_axis_override_is_error() {
        let gates = Gates::from_specs(&[GateSpec::Axis { axis: "camera_azimuht".to_owned(), rate: 0.5 }]).unwrap();
        let error = evaluate(&groups(), &gates).unwrap_err().to_string();
        assert!(error.contains("\"camera_azimuht\", which no row has"), "{error}");
    }

    #[test]
    fn repeated_default_is_error() {
        assert!(Gates::from_specs(&[GateSpec::All(0.5), GateSpec::All(0.6)]).is_err());
    }
}
