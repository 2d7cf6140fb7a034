//! Grouping rows into conditions (scene, axis, magnitude, perception label) and axes
//! (scene, axis, perception label), with success and failure counts.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use anyhow::bail;

use super::load::{axis_order, LoadedRow};
use super::stats::{rate, wilson_interval};
use crate::episode::FailureKind;

/// Every failure kind, in the column order of the report tables.
pub const FAILURE_KINDS: [FailureKind; 7] = [
    FailureKind::WrongObject,
    FailureKind::TargetNotFound,
    FailureKind::GraspFailed,
    FailureKind::Dropped,
    FailureKind::Timeout,
    FailureKind::Collision,
    FailureKind::Error,
];

/// Episode, success and failure-kind counts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub episodes: u64,
    pub successes: u64,
    /// Failures per kind, indexed like [`FAILURE_KINDS`].
    pub failures: [u64; FAILURE_KINDS.len()],
    pub wall_time_s: f64,
}

impl Counts {
    pub fn add(&mut self, row: &LoadedRow) {
        self.episodes += 1;
        self.wall_time_s += f64::from(row.row.wall_time_s);
        match row.row.outcome.failure {
            None => self.successes += 1,
            Some(kind) => {
                let index = FAILURE_KINDS.iter().position(|k| *k == kind).expect("FAILURE_KINDS lists every kind");
                self.failures[index] += 1;
            }
        }
    }

    pub fn rate(&self) -> f64 {
        rate(self.successes, self.episodes)
    }

    pub fn interval(&self) -> (f64, f64) {
        wilson_interval(self.successes, self.episodes)
    }

    pub fn errors(&self) -> u64 {
        self.failures[FAILURE_KINDS.len() - 1]
    }
}

/// One perturbation condition: rows that share scene, axis, magnitude and perception label.
#[derive(Debug, Clone)]
pub struct Condition {
    pub scene: String,
    pub axis: String,
    pub magnitude: f64,
    pub unit: String,
    pub label: String,
    /// True when every row of the condition is a reference perception.
    pub baseline: bool,
    pub counts: Counts,
}

/// One swept axis of one perception: its conditions' rows pooled over magnitudes.
#[derive(Debug, Clone)]
pub struct AxisGroup {
    pub scene: String,
    pub axis: String,
    pub unit: String,
    pub label: String,
    pub baseline: bool,
    pub magnitudes: usize,
    pub counts: Counts,
    /// Counts over the rows that gates check, those not marked `baseline`.
    pub gated: Counts,
}

/// Groups `rows` (sorted by [`super::load::compare_rows`]) into conditions, in that order.
/// Fails when one axis of a scene is recorded with two units.
pub fn conditions(rows: &[LoadedRow]) -> anyhow::Result<Vec<Condition>> {
    check_units(rows)?;
    let mut out: Vec<Condition> = Vec::new();
    for row in rows {
        let same = out.last().is_some_and(|c| {
            c.scene == row.row.scene.name && c.axis == row.axis && c.magnitude == row.magnitude && c.label == row.label
        });
        if !same {
            out.push(Condition {
                scene: row.row.scene.name.clone(),
                axis: row.axis.clone(),
                magnitude: row.magnitude,
                unit: row.unit.clone(),
                label: row.label.clone(),
                baseline: true,
                counts: Counts::default(),
            });
        }
        let condition = out.last_mut().expect("a condition was pushed above");
        condition.baseline &= row.baseline;
        condition.counts.add(row);
    }
    Ok(out)
}

/// Pools rows per (scene, axis, perception label), ordered by scene, axis and label.
pub fn axis_groups(rows: &[LoadedRow]) -> Vec<AxisGroup> {
    let mut groups: BTreeMap<(String, (bool, String), String), AxisGroup> = BTreeMap::new();
    let mut magnitudes: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    for row in rows {
        let (base_last, axis) = axis_order(&row.axis);
        let key = (row.row.scene.name.clone(), (base_last, axis.to_owned()), row.label.clone());
        let group = groups.entry(key).or_insert_with(|| AxisGroup {
            scene: row.row.scene.name.clone(),
            axis: row.axis.clone(),
            unit: row.unit.clone(),
            label: row.label.clone(),
            baseline: true,
            magnitudes: 0,
            counts: Counts::default(),
            gated: Counts::default(),
        });
        group.baseline &= row.baseline;
        group.counts.add(row);
        if !row.baseline {
            group.gated.add(row);
        }
        let seen = magnitudes.entry((row.row.scene.name.clone(), row.axis.clone(), row.label.clone())).or_default();
        if !seen.iter().any(|m| m.total_cmp(&row.magnitude) == Ordering::Equal) {
            seen.push(row.magnitude);
            group.magnitudes += 1;
        }
    }
    groups.into_values().collect()
}

/// Rejects an axis whose rows name different units: magnitudes would not be comparable.
fn check_units(rows: &[LoadedRow]) -> anyhow::Result<()> {
    let mut units: BTreeMap<(&str, &str), &LoadedRow> = BTreeMap::new();
    for row in rows {
        let first = *units.entry((row.row.scene.name.as_str(), row.axis.as_str())).or_insert(row);
        if first.unit != row.unit {
            bail!(
                "axis {} of scene {} has unit {:?} in {}:{} but {:?} in {}:{}; report these sweeps separately",
                row.axis,
                row.row.scene.name,
                first.unit,
                first.file.display(),
                first.line,
                row.unit,
                row.file.display(),
                row.line,
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{loaded, swept_row};
    use crate::report::load::compare_rows;

    fn sample() -> Vec<LoadedRow> {
        let mut rows: Vec<LoadedRow> = vec![
            loaded(swept_row("siglip", "base", 0.0, 1000, None)),
            loaded(swept_row("siglip", "camera_azimuth", 20.0, 1000, None)),
            loaded(swept_row("siglip", "camera_azimuth", 20.0, 1001, Some(FailureKind::WrongObject))),
            loaded(swept_row("siglip", "camera_azimuth", 40.0, 1000, Some(FailureKind::Error))),
            loaded(swept_row("oracle", "camera_azimuth", 40.0, 1000, None)),
        ];
        rows.sort_by(compare_rows);
        rows
    }

    #[test]
    fn conditions_split_by_magnitude_and_label() {
        let conditions = conditions(&sample()).unwrap();
        let keys: Vec<(&str, f64, &str, u64, u64)> = conditions
            .iter()
            .map(|c| (c.axis.as_str(), c.magnitude, c.label.as_str(), c.counts.episodes, c.counts.successes))
            .collect();
        assert_eq!(
            keys,
            [
                ("base", 0.0, "siglip", 1, 1),
                ("camera_azimuth", 20.0, "siglip", 2, 1),
                ("camera_azimuth", 40.0, "oracle", 1, 1),
                ("camera_azimuth", 40.0, "siglip", 1, 0),
            ]
        );
        assert_eq!(conditions[1].counts.failures[0], 1, "wrong_object column");
        assert_eq!(conditions[3].counts.errors(), 1);
        assert!(conditions[2].baseline);
        assert!(!conditions[1].baseline);
    }

    #[test]
    fn axis_groups_pool_magnitudes() {
        let groups = axis_groups(&sample());
        let keys: Vec<(&str, &str, usize, u64, u64)> = groups
            .iter()
            .map(|g| (g.axis.as_str(), g.label.as_str(), g.magnitudes, g.counts.episodes, g.gated.episodes))
            .collect();
        assert_eq!(
            keys,
            [("base", "siglip", 1, 1, 1), ("camera_azimuth", "oracle", 1, 1, 0), ("camera_azimuth", "siglip", 2, 3, 3)]
        );
    }

    #[test]
    fn mixed_units_are_rejected() {
        let mut rows = sample();
        rows[2].unit = "rad".to_owned();
        let error = conditions(&rows).unwrap_err().to_string();
        assert!(error.contains("axis camera_azimuth of scene tabletop_mugs has unit"), "{error}");
    }
}
