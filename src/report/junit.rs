//! JUnit XML for CI: a test suite per perception label and a test case per (scene, axis,
//! magnitude) condition.

use std::collections::BTreeMap;
use std::io::Write;

use quick_xml::events::{BytesDecl, Event};
use quick_xml::Writer;

use super::gate::GateResult;
use super::group::Condition;

const INDENT_SPACES: usize = 2;

/// Writes the conditions as JUnit XML. A test case has `<failure>` when the gate of its
/// (scene, perception, axis) group failed and `<error>` when any of its episodes ended with
/// failure kind `error`. Both can appear in one test case.
pub fn write_junit<W: Write>(out: W, conditions: &[Condition], gates: &[GateResult]) -> std::io::Result<()> {
    let failed_gates: BTreeMap<(&str, &str, &str), &GateResult> = gates
        .iter()
        .filter(|g| !g.passed)
        .map(|g| ((g.scene.as_str(), g.label.as_str(), g.axis.as_str()), g))
        .collect();
    let mut suites: BTreeMap<&str, Vec<&Condition>> = BTreeMap::new();
    for condition in conditions {
        suites.entry(condition.label.as_str()).or_default().push(condition);
    }
    let gate_of = |c: &Condition| failed_gates.get(&(c.scene.as_str(), c.label.as_str(), c.axis.as_str())).copied();
    let failures = |cases: &[&Condition]| cases.iter().filter(|c| gate_of(c).is_some()).count();
    let errors = |cases: &[&Condition]| cases.iter().filter(|c| c.counts.errors() > 0).count();
    let time = |cases: &[&Condition]| cases.iter().map(|c| c.counts.wall_time_s).sum::<f64>();

    let all: Vec<&Condition> = conditions.iter().collect();
    let mut writer = Writer::new_with_indent(out, b' ', INDENT_SPACES);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("testsuites")
        .with_attributes(borrowed(&[
            ("name", "pickloop report".to_owned()),
            ("tests", all.len().to_string()),
            ("failures", failures(&all).to_string()),
            ("errors", errors(&all).to_string()),
            ("time", format!("{:.3}", time(&all))),
        ]))
        .write_inner_content(|writer| {
            for (label, cases) in &suites {
                writer
                    .create_element("testsuite")
                    .with_attributes(borrowed(&[
                        ("name", xml_text(label)),
                        ("tests", cases.len().to_string()),
                        ("failures", failures(cases).to_string()),
                        ("errors", errors(cases).to_string()),
                        ("skipped", "0".to_owned()),
                        ("time", format!("{:.3}", time(cases))),
                    ]))
                    .write_inner_content(|writer| {
                        for case in cases {
                            write_case(writer, case, gate_of(case))?;
                        }
                        Ok(())
                    })?;
            }
            Ok(())
        })?;
    writer.get_mut().write_all(b"\n")
}

fn write_case<W: Write>(writer: &mut Writer<W>, case: &Condition, gate: Option<&GateResult>) -> std::io::Result<()> {
    let name = format!("{}/{}={}{}", case.scene, case.axis, case.magnitude, case.unit);
    let (low, high) = case.counts.interval();
    let properties = [
        ("episodes", case.counts.episodes.to_string()),
        ("successes", case.counts.successes.to_string()),
        ("rate", format!("{:.4}", case.counts.rate())),
        ("wilson_low", format!("{low:.4}")),
        ("wilson_high", format!("{high:.4}")),
    ];
    writer
        .create_element("testcase")
        .with_attributes(borrowed(&[
            ("name", xml_text(&name)),
            ("classname", xml_text(&format!("{}.{}", case.label, case.scene))),
            ("time", format!("{:.3}", case.counts.wall_time_s)),
        ]))
        .write_inner_content(|writer| {
            writer.create_element("properties").write_inner_content(|writer| {
                for (name, value) in &properties {
                    writer
                        .create_element("property")
                        .with_attributes(borrowed(&[("name", (*name).to_owned()), ("value", value.clone())]))
                        .write_empty()?;
                }
                Ok(())
            })?;
            if let Some(gate) = gate {
                let message = format!(
                    "success rate {:.3} of axis {} ({} of {} episodes over its magnitudes) is below --min-success {}",
                    gate.rate, gate.axis, gate.successes, gate.episodes, gate.threshold
                );
                writer
                    .create_element("failure")
                    .with_attributes(borrowed(&[("message", xml_text(&message)), ("type", "gate".to_owned())]))
                    .write_empty()?;
            }
            let errors = case.counts.errors();
            if errors > 0 {
                let message = format!("{errors} of {} episodes could not run (failure kind error)", case.counts.episodes);
                writer
                    .create_element("error")
                    .with_attributes(borrowed(&[("message", xml_text(&message)), ("type", "episode_error".to_owned())]))
                    .write_empty()?;
            }
            Ok(())
        })?;
    Ok(())
}

/// Replaces characters that XML 1.0 cannot contain even escaped (C0 controls other than tab,
/// newline and carriage return, U+FFFE and U+FFFF) with U+FFFD. quick-xml escapes the rest.
fn xml_text(text: &str) -> String {
    text.chars().map(|c| if is_xml_char(c) { c } else { char::REPLACEMENT_CHARACTER }).collect()
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}'
}

/// Borrows owned attribute pairs for quick-xml, which escapes the values as it writes them.
fn borrowed<'a>(pairs: &'a [(&'a str, String)]) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
    pairs.iter().map(|(name, value)| (*name, value.as_str()))
}

#[cfg(test)]
#[path = "junit_tests.rs"]
mod tests;
