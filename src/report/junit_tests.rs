use quick_xml::events::Event;
use quick_xml::Reader;

use super::*;
use crate::episode::FailureKind;
use crate::report::fixture::{loaded, swept_row};
use crate::report::gate::{evaluate, GateSpec, Gates};
use crate::report::group::{axis_groups, conditions};
use crate::report::load::LoadedRow;

/// One element of the parsed document: its name and attributes.
#[derive(Debug)]
struct Element {
    name: String,
    attributes: BTreeMap<String, String>,
}

fn parse(xml: &str) -> Vec<Element> {
    let mut reader = Reader::from_str(xml);
    let mut elements = Vec::new();
    loop {
        match reader.read_event().expect("the JUnit output is well-formed XML") {
            Event::Start(start) | Event::Empty(start) => {
                let attributes = start
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                        (key, a.unescape_value().unwrap().into_owned())
                    })
                    .collect();
                elements.push(Element { name: String::from_utf8(start.name().as_ref().to_vec()).unwrap(), attributes });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    elements
}

fn render(rows: &[LoadedRow], gate: f64) -> String {
    let gates = Gates::from_specs(&[GateSpec::All(gate)]).unwrap();
    let results = evaluate(&axis_groups(rows), &gates).unwrap();
    let mut out = Vec::new();
    write_junit(&mut out, &conditions(rows).unwrap(), &results).unwrap();
    String::from_utf8(out).unwrap()
}

fn sample() -> Vec<LoadedRow> {
    let mut siglip_label = swept_row("sig<lip>&\"co\"", "camera_azimuth", 20.0, 1000, None);
    siglip_label.outcome.detail = "control \u{1} character".to_owned();
    let mut rows = vec![
        loaded(swept_row("oracle", "camera_azimuth", 20.0, 1000, Some(FailureKind::Error))),
        loaded(siglip_label),
        loaded(swept_row("sig<lip>&\"co\"", "camera_azimuth", 40.0, 1000, Some(FailureKind::WrongObject))),
        loaded(swept_row("sig<lip>&\"co\"", "camera_azimuth", 40.0, 1001, Some(FailureKind::Error))),
    ];
    rows.sort_by(crate::report::load::compare_rows);
    rows
}

#[test]
fn junit_counts_match_cases() {
    let elements = parse(&render(&sample(), 0.9));
    let root = &elements[0];
    assert_eq!(root.name, "testsuites");
    assert_eq!(root.attributes["tests"], "3");
    // The siglip axis (1 of 3) fails its gate, so both of its cases carry a failure. The
    // oracle is a baseline and is never gated.
    assert_eq!(root.attributes["failures"], "2");
    assert_eq!(root.attributes["errors"], "2");

    let suites: Vec<&Element> = elements.iter().filter(|e| e.name == "testsuite").collect();
    let names: Vec<&str> = suites.iter().map(|s| s.attributes["name"].as_str()).collect();
    assert_eq!(names, ["oracle", "sig<lip>&\"co\""]);
    assert_eq!(suites[0].attributes["tests"], "1");
    assert_eq!(suites[0].attributes["failures"], "0");
    assert_eq!(suites[0].attributes["errors"], "1");
    assert_eq!(suites[1].attributes["tests"], "2");
    assert_eq!(suites[1].attributes["failures"], "2");
    assert_eq!(suites[1].attributes["errors"], "1");
    assert_eq!(elements.iter().filter(|e| e.name == "failure").count(), 2);
    assert_eq!(elements.iter().filter(|e| e.name == "error").count(), 2);
}

#[test]
fn junit_cases_carry_properties() {
    let elements = parse(&render(&sample(), 0.0));
    let case = elements.iter().find(|e| e.name == "testcase").unwrap();
    assert_eq!(case.attributes["name"], "tabletop_mugs/camera_azimuth=20deg");
    let properties: BTreeMap<&str, &str> = elements
        .iter()
        .filter(|e| e.name == "property")
        .take(5)
        .map(|e| (e.attributes["name"].as_str(), e.attributes["value"].as_str()))
        .collect();
    assert_eq!(properties["episodes"], "1");
    assert_eq!(properties["successes"], "0");
    assert_eq!(properties["rate"], "0.0000");
    assert_eq!(properties["wilson_low"], "0.0000");
    assert_eq!(properties["wilson_high"], "0.7935");
    assert_eq!(elements.iter().filter(|e| e.name == "failure").count(), 0);
}

#[test]
fn xml_text_replaces_invalid_characters() {
    assert_eq!(xml_text("a\u{1}b\tc\u{FFFF}"), "a\u{FFFD}b\tc\u{FFFD}");
}
