//! `compare`: pairs the episodes of two runs by scene, perturbations and seed, checks that only
//! the encoder or routing differs, and measures the paired difference in success.

mod check;
mod summary;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::bail;
use tracing::info;

pub use check::{check_pair, first_difference, SWAPPABLE_CONFIG_KEYS};
pub use summary::{render_markdown, summarize, write_csv, CompareRow};

use super::load::{Evidence, LoadedRow};

/// Default number of bootstrap resamples.
pub const DEFAULT_RESAMPLES: usize = 10_000;

/// Identity of one episode across runs: scene file hash, perturbation labels and seed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PairKey {
    pub scene_sha256: String,
    pub perturbation: Vec<String>,
    pub seed: u64,
}

impl PairKey {
    fn of(row: &LoadedRow) -> Self {
        Self {
            scene_sha256: row.row.scene.sha256.clone(),
            perturbation: row.row.perturbation.clone(),
            seed: row.row.seed,
        }
    }
}

impl std::fmt::Display for PairKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let perturbation = if self.perturbation.is_empty() { "none".to_owned() } else { self.perturbation.join(", ") };
        write!(f, "scene sha256 {}, perturbation [{perturbation}], seed {}", self.scene_sha256, self.seed)
    }
}

/// The same episode run by A and by B.
#[derive(Debug, Clone)]
pub struct Pair {
    pub a: LoadedRow,
    pub b: LoadedRow,
}

/// Paired episodes of two runs, with the perception label of each side.
#[derive(Debug)]
pub struct Pairing {
    pub label_a: String,
    pub label_b: String,
    pub pairs: Vec<Pair>,
    /// Config keys recorded by only one side, e.g. `exemplar (only in B)`.
    pub one_sided_keys: BTreeSet<String>,
}

/// Pairs the rows of `a` and `b`. Each side must contain one perception label, or the one
/// named by `label_a`/`label_b`. Every episode needs a partner, and partners may differ only in
/// the encoder or routing (see [`check_pair`]).
pub fn pair_runs(a: &Evidence, b: &Evidence, label_a: Option<&str>, label_b: Option<&str>) -> anyhow::Result<Pairing> {
    let (label_a, rows_a) = select_label(&a.rows, label_a, "A", "--label-a")?;
    let (label_b, rows_b) = select_label(&b.rows, label_b, "B", "--label-b")?;
    let by_key_a = index_by_key(&rows_a, "A")?;
    let mut by_key_b = index_by_key(&rows_b, "B")?;

    let mut pairs = Vec::with_capacity(by_key_a.len());
    let mut one_sided_keys = BTreeSet::new();
    for (key, row_a) in by_key_a {
        let Some(row_b) = by_key_b.remove(&key) else {
            bail!(
                "run B has no episode for {key}, which A ran ({}:{}); both runs need the same scenes, perturbations and seeds",
                row_a.file.display(),
                row_a.line
            );
        };
        check_pair(&row_a, &row_b, &mut one_sided_keys)?;
        pairs.push(Pair { a: row_a, b: row_b });
    }
    if let Some((key, row_b)) = by_key_b.into_iter().next() {
        bail!(
            "run A has no episode for {key}, which B ran ({}:{}); both runs need the same scenes, perturbations and seeds",
            row_b.file.display(),
            row_b.line
        );
    }
    if pairs.is_empty() {
        bail!("the runs contain no episodes to compare; pass directories whose evidence.jsonl has rows");
    }
    info!(pairs = pairs.len(), a = %label_a, b = %label_b, "paired episodes");
    Ok(Pairing { label_a, label_b, pairs, one_sided_keys })
}

/// Keeps the rows of one perception label: the requested one, or the only one present.
fn select_label(rows: &[LoadedRow], requested: Option<&str>, side: &str, flag: &str) -> anyhow::Result<(String, Vec<LoadedRow>)> {
    let labels: BTreeSet<&str> = rows.iter().map(|r| r.label.as_str()).collect();
    let listed = labels.iter().copied().collect::<Vec<_>>().join(", ");
    let label = match requested {
        Some(label) if labels.contains(label) => label.to_owned(),
        Some(label) => bail!("run {side} has no rows with perception label {label:?}; labels present: {listed}"),
        None if labels.len() == 1 => listed,
        None => bail!("run {side} contains several perception labels ({listed}); choose one with {flag}"),
    };
    let selected = rows.iter().filter(|r| r.label == label).cloned().collect();
    Ok((label, selected))
}

fn index_by_key(rows: &[LoadedRow], side: &str) -> anyhow::Result<BTreeMap<PairKey, LoadedRow>> {
    let mut by_key = BTreeMap::new();
    for row in rows {
        if let Some(previous) = by_key.insert(PairKey::of(row), row.clone()) {
            bail!(
                "run {side} contains two episodes for {} ({}:{} and {}:{}) with different job keys; \
                 pass one run per side or remove one of them",
                PairKey::of(row),
                previous.file.display(),
                previous.line,
                row.file.display(),
                row.line,
            );
        }
    }
    Ok(by_key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episode::FailureKind;
    use crate::report::fixture::{loaded, plain_row};

    fn evidence(rows: Vec<LoadedRow>) -> Evidence {
        Evidence { rows, ..Evidence::default() }
    }

    fn side(name: &str, failures: &[Option<FailureKind>]) -> Evidence {
        evidence(failures.iter().enumerate().map(|(i, f)| loaded(plain_row(name, 1000 + i as u64, *f))).collect())
    }

    #[test]
    fn pairs_match_by_seed() {
        let a = side("siglip+dinov2", &[None, Some(FailureKind::WrongObject)]);
        let b = side("clip+dinov2", &[Some(FailureKind::Timeout), None]);
        let pairing = pair_runs(&a, &b, None, None).unwrap();
        assert_eq!(pairing.pairs.len(), 2);
        assert_eq!((pairing.label_a.as_str(), pairing.label_b.as_str()), ("siglip+dinov2", "clip+dinov2"));
        assert!(pairing.pairs.iter().all(|p| p.a.row.seed == p.b.row.seed));
    }

    #[test]
    fn unmatched_episode_is_rejected() {
        let a = side("siglip+dinov2", &[None, None]);
        let b = side("clip+dinov2", &[None]);
        let error = pair_runs(&a, &b, None, None).unwrap_err().to_string();
        assert!(error.contains("run B has no episode for scene sha256"), "{error}");
        assert!(error.contains("seed 1001"), "{error}");
        let error = pair_runs(&b, &a, None, None).unwrap_err().to_string();
        assert!(error.contains("run A has no episode for"), "{error}");
    }

    #[test]
    fn several_labels_need_a_choice() {
        let mut a = side("siglip+dinov2", &[None]);
        a.rows.push(loaded(plain_row("oracle", 1000, None)));
        let b = side("clip+dinov2", &[None]);
        let error = pair_runs(&a, &b, None, None).unwrap_err().to_string();
        assert!(error.contains("contains several perception labels (oracle, siglip+dinov2); choose one with --label-a"), "{error}");
        assert_eq!(pair_runs(&a, &b, Some("oracle"), None).unwrap().label_a, "oracle");
        assert!(pair_runs(&a, &b, Some("clip"), None).is_err());
    }
}
