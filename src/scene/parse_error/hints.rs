//! Hints for parse error messages: near-miss names, typical field values and small text
//! helpers.

/// Returns whether `token` starts with the fractional part of a decimal number, which `ron`
/// leaves unread after an integer field and then reports as a missing comma.
pub(super) fn starts_decimal_fraction(token: &str) -> bool {
    let mut chars = token.chars();
    chars.next() == Some('.') && chars.next().is_some_and(|c| c.is_ascii_digit())
}

/// Returns "did you mean `name`? " for a near miss among `expected`, or an empty string.
pub(super) fn did_you_mean(found: &str, expected: &[&str]) -> String {
    match closest(found, expected) {
        Some(name) => format!("did you mean `{name}`? "),
        None => String::new(),
    }
}

/// Returns the expected name closest to `found`, if it is only a typo away.
pub(super) fn closest<'e>(found: &str, expected: &[&'e str]) -> Option<&'e str> {
    let max_distance = (found.chars().count() / 3).max(1);
    expected
        .iter()
        .map(|name| {
            (
                edit_distance(&found.to_lowercase(), &name.to_lowercase()),
                *name,
            )
        })
        .filter(|(distance, _)| *distance <= max_distance)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

/// Levenshtein distance between two strings, in characters.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

pub(super) fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Returns a typical value for a required field, shown in the fix of a "missing field" error.
pub(super) fn field_example(field: &str) -> Option<&'static str> {
    Some(match field {
        "name" => "\"my_scene\"",
        "kind" => "Tabletop",
        "instruction" => "\"pick up the red mug\"",
        "target" => "\"red_mug\"",
        "time_limit_s" => "20.0",
        "supports" => "[(id: \"table\", size: (1.1, 1.2, 0.04), position: (0.45, 0.0, 0.73))]",
        "objects" => {
            "[(id: \"red_mug\", shape: Mug(radius: 0.04, height: 0.1), \
                      material: (color: (0.8, 0.1, 0.1)), on: \"table\", xy: (0.45, 0.1))]"
        }
        "cameras" => {
            "[(id: \"front\", trajectory: Static(eye: (-0.15, 0.0, 1.4), \
                      look_at: (0.47, 0.0, 0.75)))]"
        }
        "view" => "\"front\"",
        "id" => "\"red_mug\"",
        "shape" => "Mug(radius: 0.04, height: 0.1)",
        "material" => "(color: (0.8, 0.1, 0.1))",
        "color" => "(0.8, 0.1, 0.1)",
        "on" => "\"table\"",
        "xy" => "(0.45, 0.1)",
        "size" => "(0.06, 0.06, 0.08)",
        "position" => "(0.45, 0.0, 0.73)",
        "radius" => "0.04",
        "height" => "0.1",
        "wall" => "0.005",
        "trajectory" => "Static(eye: (-0.15, 0.0, 1.4), look_at: (0.47, 0.0, 0.75))",
        "eye" => "(-0.15, 0.0, 1.4)",
        "look_at" => "(0.47, 0.0, 0.75)",
        "offset" => "(0.0, 0.05, 0.02)",
        "width" => "224",
        "illuminance_lux" => "6000.0",
        "direction" => "(-0.3, 0.2, -1.0)",
        "intensity_lm" => "800.0",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("radus", "radius"), 1);
        assert_eq!(edit_distance("xyz", "xy"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn closest_ignores_far_names() {
        let fields = ["id", "shape", "material", "on", "xy"];
        assert_eq!(closest("xyz", &fields), Some("xy"));
        assert_eq!(closest("matreial", &fields), Some("material"));
        assert_eq!(closest("weight", &fields), None);
    }

    #[test]
    fn decimal_fraction_tokens() {
        assert!(starts_decimal_fraction(".0"));
        assert!(!starts_decimal_fraction("..."));
        assert!(!starts_decimal_fraction("xy"));
    }
}
