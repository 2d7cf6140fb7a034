//! Interval estimates and tests for success counts: Wilson score intervals, a percentile
//! bootstrap of paired differences and McNemar's exact test.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// z for a two-sided 95 % interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Lower and upper percentiles of a two-sided 95 % bootstrap interval.
const BOOTSTRAP_LOWER_QUANTILE: f64 = 0.025;
const BOOTSTRAP_UPPER_QUANTILE: f64 = 0.975;

/// Wilson score interval for `successes` out of `n` at 95 % confidence; `(0, 1)` when `n` is 0.
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

/// Share of successes, 0 when `n` is 0.
pub fn rate(successes: u64, n: u64) -> f64 {
    if n == 0 { 0.0 } else { successes as f64 / n as f64 }
}

/// 95 % percentile bootstrap interval of the mean of `values`: draws `resamples` samples of the
/// same size with replacement from a ChaCha8 stream seeded with `seed`. `None` when `values` is
/// empty or `resamples` is 0.
pub fn bootstrap_mean_interval(values: &[f64], resamples: usize, seed: u64) -> Option<(f64, f64)> {
    if values.is_empty() || resamples == 0 {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means: Vec<f64> = (0..resamples)
        .map(|_| {
            let sum: f64 = (0..values.len()).map(|_| values[rng.random_range(0..values.len())]).sum();
            sum / values.len() as f64
        })
        .collect();
    means.sort_by(f64::total_cmp);
    Some((percentile(&means, BOOTSTRAP_LOWER_QUANTILE), percentile(&means, BOOTSTRAP_UPPER_QUANTILE)))
}

/// Nearest-rank percentile of sorted, non-empty `sorted` at quantile `q` in 0..=1.
fn percentile(sorted: &[f64], q: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index]
}

/// McNemar's exact two-sided p-value for the discordant counts `b` (only the first system
/// succeeded) and `c` (only the second did): twice the smaller binomial tail under
/// Binomial(b + c, 1/2), at most 1. Returns 1 when there are no discordant pairs.
pub fn mcnemar_exact_p(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let k = b.min(c);
    // Sum C(n, i) / 2^n for i in 0..=k in log space, so large n does not underflow 2^-n.
    let ln_half_power = -(n as f64) * std::f64::consts::LN_2;
    let mut ln_choose = 0.0_f64;
    let mut log_terms = Vec::with_capacity(k as usize + 1);
    for i in 0..=k {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        log_terms.push(ln_choose + ln_half_power);
    }
    let max = log_terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let tail = max.exp() * log_terms.iter().map(|t| (t - max).exp()).sum::<f64>();
    (2.0 * tail).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_known_values() {
        // 8 of 10: about 0.490 to 0.943. 19 of 20: about 0.764 to 0.991.
        let (low, high) = wilson_interval(8, 10);
        assert!((low - 0.4902).abs() < 1e-3, "low = {low}");
        assert!((high - 0.9433).abs() < 1e-3, "high = {high}");
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

    #[test]
    fn mcnemar_matches_binomial_tail() {
        // b = 10, c = 2: 2 * (1 + 12 + 66) / 4096 = 0.03857.
        let p = mcnemar_exact_p(10, 2);
        assert!((p - 79.0 / 2048.0).abs() < 1e-12, "p = {p}");
        assert_eq!(mcnemar_exact_p(2, 10), p);
    }

    #[test]
    fn mcnemar_equal_counts_give_one() {
        assert_eq!(mcnemar_exact_p(5, 5), 1.0);
        assert_eq!(mcnemar_exact_p(0, 0), 1.0);
    }

    #[test]
    fn mcnemar_large_counts_stay_finite() {
        // 2000 discordant pairs: 2^-2000 underflows f64, the log-space sum must not.
        let p = mcnemar_exact_p(1000, 1000);
        assert!((p - 1.0).abs() < 1e-9, "p = {p}");
        let p = mcnemar_exact_p(900, 1100);
        assert!(p > 0.0, "p = {p}");
        assert!(p < 1e-5, "p = {p}");
    }

    #[test]
    fn bootstrap_constant_values_give_point_interval() {
        assert_eq!(bootstrap_mean_interval(&[1.0; 20], 500, 3), Some((1.0, 1.0)));
        assert_eq!(bootstrap_mean_interval(&[], 500, 3), None);
    }

    #[test]
    fn bootstrap_is_seeded_and_covers_mean() {
        let values: Vec<f64> = (0..40).map(|i| if i % 4 == 0 { 1.0 } else { 0.0 }).collect();
        let first = bootstrap_mean_interval(&values, 2000, 7).unwrap();
        assert_eq!(bootstrap_mean_interval(&values, 2000, 7).unwrap(), first);
        assert!(first.0 < 0.25, "interval {first:?}");
        assert!(first.1 > 0.25, "interval {first:?}");
        // The normal approximation gives 0.25 ± 1.96 * sqrt(0.25 * 0.75 / 40) = 0.116..0.384.
        assert!((first.0 - 0.116).abs() < 0.04, "low {}", first.0);
        assert!((first.1 - 0.384).abs() < 0.04, "high {}", first.1);
    }
}
