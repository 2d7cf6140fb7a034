//! `pickloop report` and `pickloop compare` on rows of real short episodes (oracle and random,
//! two each) plus synthetic sweep rows derived from them.

mod cli_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cli_support::{assert_success, pickloop};
use quick_xml::events::Event;
use serde_json::Value;

const SCENE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scenes/tabletop_mugs.ron");
const TABLES_HEADING: &str = "## Success by condition";

/// Run directories shared by the tests in this file, created once.
struct Runs {
    root: PathBuf,
    oracle: PathBuf,
    random: PathBuf,
    /// Random perception at 5 Hz instead of the scene's 10 Hz: not comparable with `random`.
    random_5hz: PathBuf,
    /// Synthetic sweep rows split over two shard directories, and all of them in one.
    shard_1: PathBuf,
    shard_2: PathBuf,
    all: PathBuf,
    /// Job key of a failed synthetic episode that has gallery images in `shard_1`.
    gallery_job: String,
}

fn runs() -> &'static Runs {
    static RUNS: OnceLock<Runs> = OnceLock::new();
    RUNS.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report_cli");
        let _ = std::fs::remove_dir_all(&root);
        let run = |name: &str, extra: &[&str]| {
            let out = root.join(name);
            let out_text = out.to_str().unwrap().to_owned();
            let mut args = vec!["run", SCENE, "--episodes", "2", "--out", out_text.as_str()];
            args.extend_from_slice(extra);
            assert_success(&pickloop(&args), &format!("pickloop run {name}"));
            out
        };
        let oracle = run("oracle", &["--perception", "oracle"]);
        let random = run("random", &["--perception", "random"]);
        let random_5hz = run("random_5hz", &["--perception", "random", "--perception-hz", "5"]);
        let template: Value = serde_json::from_str(read(&oracle.join("evidence.jsonl")).lines().next().unwrap()).unwrap();
        let (shard_1, shard_2, all) = (root.join("shard_1"), root.join("shard_2"), root.join("all"));
        let gallery_job = write_sweep_rows(&template, &shard_1, &shard_2, &all);
        Runs { root, oracle, random, random_5hz, shard_1, shard_2, all, gallery_job }
    })
}

/// Synthetic sweep: `siglip+dinov2` on the base scene and at camera azimuth 10 and 20 deg, and
/// the oracle as a baseline, 4 seeds each. siglip succeeds on 4/4, 3/4 and 1/4 seeds. Rows
/// alternate between the shards; `all` gets every row, and shard 2 ends with a torn line.
/// Returns the job key of the first failed row, whose gallery images go into shard 1.
fn write_sweep_rows(template: &Value, shard_1: &Path, shard_2: &Path, all: &Path) -> String {
    let mut lines = Vec::new();
    let mut first_failed = None;
    let cases = [("base", 0.0, 4), ("camera_azimuth", 10.0, 3), ("camera_azimuth", 20.0, 1)];
    for (label, baseline) in [("siglip+dinov2", false), ("oracle", true)] {
        for (axis, magnitude, successes) in cases {
            for seed in 0..4_u64 {
                let success = baseline || seed < successes;
                let job = format!("{:016x}", lines.len() + 0xabc000);
                let mut row = template.clone();
                row["seed"] = seed.into();
                row["perception"]["name"] = label.into();
                row["perturbation"] = if axis == "base" { serde_json::json!([]) } else { serde_json::json!([format!("{axis}={magnitude}deg")]) };
                row["outcome"] = serde_json::json!({
                    "success": success,
                    "failure": if success { Value::Null } else { "wrong_object".into() },
                    "detail": "synthetic row",
                    "time_s": 4.0,
                });
                row["sweep"] = serde_json::json!({
                    "sweep": "azimuth", "job": job, "perception_label": label, "baseline": baseline,
                    "axis": axis, "magnitude": magnitude, "unit": "deg",
                });
                if !success && first_failed.is_none() && lines.len() % 2 == 0 {
                    first_failed = Some(job);
                }
                lines.push(row.to_string());
            }
        }
    }
    let shard_lines = |parity: usize| -> String {
        lines.iter().enumerate().filter(|(i, _)| i % 2 == parity).map(|(_, l)| format!("{l}\n")).collect()
    };
    let torn = &lines[0][..lines[0].len() / 2];
    write(&shard_1.join("evidence.jsonl"), &shard_lines(0));
    write(&shard_2.join("evidence.jsonl"), &format!("{}{torn}", shard_lines(1)));
    write(&all.join("evidence.jsonl"), &lines.iter().map(|l| format!("{l}\n")).collect::<String>());

    let job = first_failed.expect("the sweep has a failed row in shard 1");
    let gallery = shard_1.join("gallery").join(&job);
    std::fs::create_dir_all(&gallery).unwrap();
    std::fs::write(gallery.join("decision.png"), b"synthetic png").unwrap();
    job
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn report(inputs: &[&Path], out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["report"];
    args.extend(inputs.iter().map(|p| text(p)));
    args.extend(["--out", text(out)]);
    args.extend_from_slice(extra);
    pickloop(&args)
}

/// Element names with their attributes, in document order.
fn parse_xml(xml: &str) -> Vec<(String, BTreeMap<String, String>)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut elements = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) | Event::Empty(e) => {
                let attributes = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), a.unescape_value().unwrap().into_owned())
                    })
                    .collect();
                elements.push((String::from_utf8(e.name().as_ref().to_vec()).unwrap(), attributes));
            }
            Event::Eof => return elements,
            _ => {}
        }
    }
}

#[test]
fn report_writes_every_file() {
    let runs = runs();
    let out = runs.root.join("report_full");
    let junit = out.join("junit.xml");
    let output = report(&[&runs.oracle, &runs.random, &runs.shard_1, &runs.shard_2], &out, &["--junit", text(&junit)]);
    assert_success(&output, "pickloop report");

    let markdown = read(&out.join("report.md"));
    assert!(markdown.contains("- sweeps: (rows without a sweep tag), azimuth"), "{markdown}");
    assert!(markdown.contains("- episodes: 28"), "{markdown}");
    assert!(markdown.contains("- unfinished final lines skipped: 1"), "{markdown}");
    assert!(
        markdown.contains("| tabletop_mugs | camera_azimuth | 20 | deg | siglip+dinov2 | no | 4 | 1 | 0.250 | 0.046 | 0.699 | 3 | 0 | 0 | 0 | 0 | 0 | 0 |"),
        "{markdown}"
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), markdown.trim());

    let csv = read(&out.join("report.csv"));
    assert_eq!(csv.lines().count(), 1 + 7, "header and one line per condition:\n{csv}");
    assert!(csv.lines().any(|l| l.starts_with("tabletop_mugs,base,0,,random,true,2,0,")), "{csv}");
    assert!(read(&out.join("axes.csv")).contains("tabletop_mugs,camera_azimuth,deg,siglip+dinov2,false,2,8,4,0.500,"));

    let plot = image::open(out.join("plots/tabletop_mugs__camera_azimuth.png")).unwrap();
    assert!(plot.width() > 0);

    let gallery = read(&out.join("gallery.md"));
    let link = format!("gallery/{}/decision.png", runs.gallery_job);
    assert!(gallery.contains(&format!("![decision frame]({link})")), "{gallery}");
    assert_eq!(std::fs::read(out.join(&link)).unwrap(), b"synthetic png");
    assert!(gallery.contains("- images: none saved"), "random's failures have no images");

    let elements = parse_xml(&read(&junit));
    assert_eq!(elements[0].0, "testsuites");
    assert_eq!(elements[0].1["tests"], "7");
    assert_eq!(elements[0].1["failures"], "0");
    let suites: Vec<&str> = elements.iter().filter(|(n, _)| n == "testsuite").map(|(_, a)| a["name"].as_str()).collect();
    assert_eq!(suites, ["oracle", "random", "siglip+dinov2"]);
}

#[test]
fn report_gate_exit_codes() {
    let runs = runs();
    let inputs: [&Path; 2] = [&runs.all, &runs.random];
    let out = runs.root.join("report_gates");

    // siglip pools 4 of 8 on camera_azimuth and 4 of 4 on base; oracle and random are baselines.
    let passed = report(&inputs, &out, &["--min-success", "0.5"]);
    assert_eq!(passed.status.code(), Some(0), "{}", String::from_utf8_lossy(&passed.stderr));

    let junit = out.join("junit.xml");
    let failed = report(&inputs, &out, &["--min-success", "0.5", "--min-success", "camera_azimuth=0.6", "--junit", text(&junit)]);
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("perception siglip+dinov2 / axis camera_azimuth: success rate 0.500 over 8 episodes is below --min-success 0.6"),
        "{stderr}"
    );
    assert!(!stderr.contains("axis base:"), "{stderr}");
    let elements = parse_xml(&read(&junit));
    assert_eq!(elements[0].1["failures"], "2", "both azimuth cases of siglip fail");

    let invalid = report(&inputs, &out, &["--min-success", "1.5"]);
    assert_eq!(invalid.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&invalid.stderr).contains("outside 0..=1"));

    let unknown_axis = report(&inputs, &out, &["--min-success", "camera_elevation=0.5"]);
    assert_eq!(unknown_axis.status.code(), Some(2));
}

#[test]
fn report_shards_match_single_dir() {
    let runs = runs();
    let (merged, single) = (runs.root.join("report_shards"), runs.root.join("report_single"));
    assert_success(&report(&[&runs.shard_1, &runs.shard_2], &merged, &[]), "report of two shards");
    assert_success(&report(&[&runs.all], &single, &[]), "report of one directory");
    for file in ["report.csv", "axes.csv"] {
        assert_eq!(read(&merged.join(file)), read(&single.join(file)), "{file} differs");
    }
    let tables = |dir: &Path| {
        let markdown = read(&dir.join("report.md"));
        markdown[markdown.find(TABLES_HEADING).expect("report.md has tables")..].to_owned()
    };
    assert_eq!(tables(&merged), tables(&single));

    // Listing a shard twice drops its rows as duplicates and changes no table.
    let repeated = runs.root.join("report_repeated");
    assert_success(&report(&[&runs.shard_1, &runs.shard_2, &runs.shard_1], &repeated, &[]), "report with a repeated shard");
    assert_eq!(read(&repeated.join("report.csv")), read(&single.join("report.csv")));
    assert!(read(&repeated.join("report.md")).contains("- duplicate rows dropped: 12"));
}

#[test]
fn compare_oracle_against_random() {
    let runs = runs();
    let out = runs.root.join("compare/oracle_random");
    let output = pickloop(&["compare", text(&runs.random), text(&runs.oracle), "--out", text(&out), "--resamples", "500", "--seed", "3"]);
    assert_success(&output, "pickloop compare");
    let markdown = read(&out.with_extension("md"));
    assert!(markdown.contains("- A: "), "{markdown}");
    assert!(markdown.contains("perception random"), "{markdown}");
    let csv = read(&out.with_extension("csv"));
    let overall = csv.lines().find(|l| l.starts_with("all,all,all,")).expect("an overall row");
    let fields: Vec<&str> = overall.split(',').collect();
    assert_eq!(fields[4], "2", "pairs: {overall}");
    assert_eq!(fields[6], "2", "the oracle picks both targets: {overall}");
}

#[test]
fn compare_rejects_other_rates() {
    let runs = runs();
    let output = pickloop(&["compare", text(&runs.random), text(&runs.random_5hz)]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rates.perception_hz is 10.0 in A"), "{stderr}");
    assert!(stderr.contains("but 5.0 in B"), "{stderr}");
}

#[test]
fn compare_rejects_unmatched_seeds() {
    let runs = runs();
    let output = pickloop(&["compare", text(&runs.random), text(&runs.shard_1), "--label-b", "oracle"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("has no episode for scene sha256"), "{stderr}");
}
