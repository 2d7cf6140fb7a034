//! Loop-rate overrides shared by `run` and `watch`.

use anyhow::bail;
use clap::Args;

use pickloop::scene::Rates;

/// Largest relative deviation from a whole number of physics steps per control or perception
/// tick that still counts as dividing the physics rate.
const DIVIDES_TOLERANCE: f32 = 1e-4;

#[derive(Debug, Clone, Args)]
pub struct RateArgs {
    /// Physics rate, Hz; overrides the scene's `rates.physics_hz`.
    #[arg(long)]
    pub physics_hz: Option<f32>,
    /// Control rate, Hz; overrides the scene's `rates.control_hz`. Must divide the physics rate.
    #[arg(long)]
    pub control_hz: Option<f32>,
    /// Perception rate, Hz; overrides the scene's `rates.perception_hz`. Must divide the
    /// physics rate.
    #[arg(long)]
    pub perception_hz: Option<f32>,
}

impl RateArgs {
    /// Applies the overrides to a scene's rates and checks the result the way scene
    /// validation checks a scene file.
    pub fn apply(&self, scene_rates: Rates) -> anyhow::Result<Rates> {
        let rates = Rates {
            physics_hz: self.physics_hz.unwrap_or(scene_rates.physics_hz),
            control_hz: self.control_hz.unwrap_or(scene_rates.control_hz),
            perception_hz: self.perception_hz.unwrap_or(scene_rates.perception_hz),
        };
        for (flag, value) in [
            ("--physics-hz", rates.physics_hz),
            ("--control-hz", rates.control_hz),
            ("--perception-hz", rates.perception_hz),
        ] {
            if !(value.is_finite() && value > 0.0) {
                bail!("{flag} {value} is invalid; pass a positive rate in hertz");
            }
        }
        for (flag, value) in [("--control-hz", rates.control_hz), ("--perception-hz", rates.perception_hz)] {
            let steps = rates.physics_hz / value;
            if steps < 1.0 - DIVIDES_TOLERANCE || (steps - steps.round()).abs() > DIVIDES_TOLERANCE * steps {
                bail!(
                    "{flag} {value} does not divide the physics rate {} Hz; pass a rate such as {}",
                    rates.physics_hz,
                    rates.physics_hz / steps.round().max(1.0)
                );
            }
        }
        Ok(rates)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scene_rates() -> Rates {
        Rates {
            physics_hz: 240.0,
            control_hz: 60.0,
            perception_hz: 10.0,
        }
    }

    fn overrides(physics_hz: Option<f32>, control_hz: Option<f32>, perception_hz: Option<f32>) -> RateArgs {
        RateArgs {
            physics_hz,
            control_hz,
            perception_hz,
        }
    }

    #[test]
    fn rates_default_to_scene() {
        let rates = overrides(None, None, None).apply(scene_rates()).unwrap();
        assert_eq!(rates, scene_rates());
    }

    #[test]
    fn rates_take_overrides() {
        let rates = overrides(Some(480.0), Some(120.0), Some(5.0)).apply(scene_rates()).unwrap();
        assert_eq!(rates.physics_hz, 480.0);
        assert_eq!(rates.control_hz, 120.0);
        assert_eq!(rates.perception_hz, 5.0);
    }

    #[test]
    fn rates_reject_non_positive() {
        let error = overrides(Some(0.0), None, None).apply(scene_rates()).unwrap_err();
        assert!(error.to_string().contains("--physics-hz 0 is invalid"), "{error}");
    }

    #[test]
    fn rates_reject_non_dividing() {
        let error = overrides(None, Some(70.0), None).apply(scene_rates()).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("--control-hz 70 does not divide"), "{message}");
        assert!(message.contains("such as 80"), "{message}");
    }

    #[test]
    fn rates_reject_faster_than_physics() {
        let error = overrides(None, None, Some(480.0)).apply(scene_rates()).unwrap_err();
        assert!(error.to_string().contains("--perception-hz 480"), "{error}");
    }
}
