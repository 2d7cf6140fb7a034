//! The rule of `compare`: two paired episodes may differ only in the perception's name, its
//! encoder records and its routing after a target loss.

use std::collections::BTreeSet;

use anyhow::bail;
use serde_json::Value;

use crate::report::load::LoadedRow;

/// Top-level keys of a perception `config` that may differ: the selection and tracking
/// encoder records (model, head, checkpoint files and hashes) and the loss policy, which is
/// `null` for perceptions that reselect instead of tracking.
pub const SWAPPABLE_CONFIG_KEYS: [&str; 3] = ["selection", "tracking", "loss_policy"];

/// Fails with the first field other than the encoder or routing that differs between the
/// paired rows `a` and `b`. Config keys that only one side records describe a method the other
/// perception lacks and are not compared; they are added to `one_sided`.
pub fn check_pair(a: &LoadedRow, b: &LoadedRow, one_sided: &mut BTreeSet<String>) -> anyhow::Result<()> {
    let fields = [
        ("instruction", Value::from(a.row.instruction.as_str()), Value::from(b.row.instruction.as_str())),
        ("target", Value::from(a.row.target.as_str()), Value::from(b.row.target.as_str())),
        ("camera.id", Value::from(a.row.camera.id.as_str()), Value::from(b.row.camera.id.as_str())),
        ("camera.intrinsics", to_value(&a.row.camera.intrinsics)?, to_value(&b.row.camera.intrinsics)?),
        ("rates", to_value(&a.row.rates)?, to_value(&b.row.rates)?),
        ("sweep axis", Value::from(a.axis.as_str()), Value::from(b.axis.as_str())),
        ("sweep magnitude", Value::from(a.magnitude), Value::from(b.magnitude)),
        ("sweep unit", Value::from(a.unit.as_str()), Value::from(b.unit.as_str())),
    ];
    for (name, value_a, value_b) in &fields {
        if let Some((path, left, right)) = first_difference(name, value_a, value_b) {
            reject(a, b, &path, &left, &right)?;
        }
    }
    check_config(a, b, one_sided)
}

fn to_value<T: serde::Serialize>(value: &T) -> anyhow::Result<Value> {
    Ok(serde_json::to_value(value)?)
}

fn check_config(a: &LoadedRow, b: &LoadedRow, one_sided: &mut BTreeSet<String>) -> anyhow::Result<()> {
    let (config_a, config_b) = (&a.row.perception.config, &b.row.perception.config);
    let (Value::Object(map_a), Value::Object(map_b)) = (config_a, config_b) else {
        if let Some((path, left, right)) = first_difference("perception.config", config_a, config_b) {
            reject(a, b, &path, &left, &right)?;
        }
        return Ok(());
    };
    for (key, value_a) in map_a {
        if SWAPPABLE_CONFIG_KEYS.contains(&key.as_str()) {
            continue;
        }
        let Some(value_b) = map_b.get(key) else {
            one_sided.insert(format!("{key} (only in A)"));
            continue;
        };
        if let Some((path, left, right)) = first_difference(&format!("perception.config.{key}"), value_a, value_b) {
            reject(a, b, &path, &left, &right)?;
        }
    }
    for key in map_b.keys() {
        if !map_a.contains_key(key) && !SWAPPABLE_CONFIG_KEYS.contains(&key.as_str()) {
            one_sided.insert(format!("{key} (only in B)"));
        }
    }
    Ok(())
}

fn reject(a: &LoadedRow, b: &LoadedRow, path: &str, left: &Value, right: &Value) -> anyhow::Result<()> {
    bail!(
        "the runs differ in more than the encoder or routing: {path} is {left} in A ({}:{}) but {right} in B ({}:{}); \
         compare runs that share scene, perturbations, seeds, prompts, tracker settings, rates and camera",
        a.file.display(),
        a.line,
        b.file.display(),
        b.line,
    )
}

/// Path and values of the first place where `a` and `b` differ, walking objects in key order
/// and arrays in index order.
pub fn first_difference(path: &str, a: &Value, b: &Value) -> Option<(String, Value, Value)> {
    match (a, b) {
        (Value::Object(map_a), Value::Object(map_b)) => {
            let keys: BTreeSet<&String> = map_a.keys().chain(map_b.keys()).collect();
            keys.into_iter().find_map(|key| {
                let missing = Value::String("(missing)".to_owned());
                let left = map_a.get(key).unwrap_or(&missing);
                let right = map_b.get(key).unwrap_or(&missing);
                first_difference(&format!("{path}.{key}"), left, right)
            })
        }
        (Value::Array(items_a), Value::Array(items_b)) if items_a.len() == items_b.len() => items_a
            .iter()
            .zip(items_b)
            .enumerate()
            .find_map(|(index, (left, right))| first_difference(&format!("{path}[{index}]"), left, right)),
        _ if a == b => None,
        _ => Some((path.to_owned(), a.clone(), b.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{loaded, plain_row};

    fn pair() -> (LoadedRow, LoadedRow) {
        (loaded(plain_row("siglip+dinov2", 1000, None)), loaded(plain_row("clip+dinov2", 1000, None)))
    }

    fn check(a: &LoadedRow, b: &LoadedRow) -> Result<BTreeSet<String>, String> {
        let mut one_sided = BTreeSet::new();
        check_pair(a, b, &mut one_sided).map(|()| one_sided).map_err(|e| e.to_string())
    }

    #[test]
    fn encoder_and_routing_may_differ() {
        let (mut a, mut b) = pair();
        a.row.perception.config["selection"] = serde_json::json!({ "model": "siglip" });
        b.row.perception.config["selection"] = serde_json::json!({ "model": "clip" });
        b.row.perception.config["loss_policy"] = serde_json::json!("reselect");
        b.row.perception.config["tracking"] = Value::Null;
        assert_eq!(check(&a, &b), Ok(BTreeSet::new()));
    }

    #[test]
    fn tracker_difference_is_rejected() {
        let (a, mut b) = pair();
        b.row.perception.config["tracker"]["loss_threshold"] = serde_json::json!(0.6);
        let error = check(&a, &b).unwrap_err();
        assert!(error.contains("perception.config.tracker.loss_threshold is 0.5 in A"), "{error}");
        assert!(error.contains("but 0.6 in B"), "{error}");
    }

    #[test]
    fn prompt_difference_is_rejected() {
        let (mut a, mut b) = pair();
        a.row.perception.config["prompt_templates"] = serde_json::json!(["{}"]);
        b.row.perception.config["prompt_templates"] = serde_json::json!(["a photo of {}"]);
        let error = check(&a, &b).unwrap_err();
        assert!(error.contains("perception.config.prompt_templates[0] is \"{}\" in A"), "{error}");
    }

    #[test]
    fn episode_fields_are_rejected() {
        let cases: [(&str, fn(&mut LoadedRow)); 4] = [
            ("rates.perception_hz", |r| r.row.rates.perception_hz = 5.0),
            ("camera.intrinsics.fx", |r| r.row.camera.intrinsics.fx = 100.0),
            ("instruction", |r| r.row.instruction = "pick up the blue mug".to_owned()),
            ("target", |r| r.row.target = "blue_mug".to_owned()),
        ];
        for (field, change) in cases {
            let (a, mut b) = pair();
            change(&mut b);
            let error = check(&a, &b).unwrap_err();
            assert!(error.contains(&format!(": {field} is ")), "{field}: {error}");
        }
    }

    #[test]
    fn one_sided_keys_are_listed() {
        let (a, mut b) = pair();
        b.row.perception.config["exemplar"] = serde_json::json!("mug.png");
        assert_eq!(check(&a, &b), Ok(BTreeSet::from(["exemplar (only in B)".to_owned()])));
    }

    #[test]
    fn first_difference_walks_arrays() {
        let a = serde_json::json!({ "x": [1, 2, 3] });
        let b = serde_json::json!({ "x": [1, 5, 3] });
        assert_eq!(first_difference("c", &a, &b), Some(("c.x[1]".to_owned(), 2.into(), 5.into())));
        let shorter = serde_json::json!({ "x": [1] });
        assert_eq!(first_difference("c", &a, &shorter).unwrap().0, "c.x");
    }
}
