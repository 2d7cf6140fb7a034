use std::io::Write;

use super::*;
use crate::report::fixture::{plain_row, swept_row};

fn write_rows(dir: &Path, rows: &[EvidenceRow], tail: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(EVIDENCE_FILE);
    let mut file = std::fs::File::create(&path).unwrap();
    for row in rows {
        writeln!(file, "{}", serde_json::to_string(row).unwrap()).unwrap();
    }
    file.write_all(tail.as_bytes()).unwrap();
    path
}

#[test]
fn torn_final_line_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let full = serde_json::to_string(&plain_row("oracle", 1001, None)).unwrap();
    write_rows(dir.path(), &[plain_row("oracle", 1000, None)], &full[..full.len() / 2]);
    let evidence = load_evidence(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(evidence.rows.len(), 1);
    assert_eq!(evidence.torn_lines, 1);
}

#[test]
fn invalid_middle_line_is_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_rows(dir.path(), &[], "{\"not\": \"a row\"}\n");
    let full = serde_json::to_string(&plain_row("oracle", 1000, None)).unwrap();
    std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(format!("{full}\n").as_bytes()).unwrap();
    let error = load_evidence(&[dir.path().to_path_buf()]).unwrap_err().to_string();
    assert!(error.contains("evidence.jsonl:1: invalid evidence row"), "{error}");
}

#[test]
fn torn_line_with_newline_is_error() {
    // A complete line that does not parse was written whole, so it is not a torn write.
    let dir = tempfile::tempdir().unwrap();
    write_rows(dir.path(), &[plain_row("oracle", 1000, None)], "{\"episode\": 3\n");
    assert!(load_evidence(&[dir.path().to_path_buf()]).is_err());
}

#[test]
fn missing_evidence_file_is_error() {
    let dir = tempfile::tempdir().unwrap();
    let error = load_evidence(&[dir.path().to_path_buf()]).unwrap_err().to_string();
    assert!(error.contains("contains no evidence.jsonl"), "{error}");
}

#[test]
fn dedupe_prefers_non_error_row() {
    let root = tempfile::tempdir().unwrap();
    let errored = swept_row("siglip", "camera_azimuth", 20.0, 1000, Some(FailureKind::Error));
    let finished = swept_row("siglip", "camera_azimuth", 20.0, 1000, None);
    write_rows(&root.path().join("a"), &[errored], "");
    write_rows(&root.path().join("b"), &[finished.clone()], "");
    let inputs = [root.path().join("a"), root.path().join("b")];
    let evidence = load_evidence(&inputs).unwrap();
    assert_eq!(evidence.rows.len(), 1);
    assert_eq!(evidence.duplicates_dropped, 1);
    assert_eq!(evidence.rows[0].row.outcome, finished.outcome);
    assert!(evidence.rows[0].run_dir.ends_with("b"));
}

#[test]
fn dedupe_keeps_first_of_equal_rank() {
    let root = tempfile::tempdir().unwrap();
    let first = swept_row("siglip", "camera_azimuth", 20.0, 1000, Some(FailureKind::WrongObject));
    let second = swept_row("siglip", "camera_azimuth", 20.0, 1000, None);
    write_rows(&root.path().join("a"), &[first.clone()], "");
    write_rows(&root.path().join("b"), &[second], "");
    let evidence = load_evidence(&[root.path().join("a"), root.path().join("b")]).unwrap();
    assert_eq!(evidence.rows.len(), 1);
    assert_eq!(evidence.rows[0].row.outcome, first.outcome);
}

#[test]
fn plain_rows_get_base_axis_and_derived_key() {
    let row = plain_row("random", 1000, Some(FailureKind::WrongObject));
    let loaded = LoadedRow::from_row(row.clone(), Path::new("/runs/r/evidence.jsonl"), 4);
    assert_eq!(loaded.axis, BASE_AXIS);
    assert_eq!(loaded.magnitude, 0.0);
    assert_eq!(loaded.label, "random");
    assert!(loaded.baseline);
    assert_eq!(loaded.job.len(), 16);
    assert_eq!(loaded.run_dir, Path::new("/runs/r"));

    let mut other_seed = row;
    other_seed.seed += 1;
    assert_ne!(derived_job_key(&other_seed), loaded.job);
}

#[test]
fn rows_sort_base_first_then_magnitude() {
    let root = tempfile::tempdir().unwrap();
    let rows = [
        swept_row("siglip", "camera_azimuth", 20.0, 1000, None),
        swept_row("siglip", "aaa_light", 5.0, 1000, None),
        swept_row("siglip", "camera_azimuth", -10.0, 1000, None),
        swept_row("oracle", "base", 0.0, 1000, None),
    ];
    write_rows(root.path(), &rows, "");
    let evidence = load_evidence(&[root.path().to_path_buf()]).unwrap();
    let order: Vec<(String, f64)> = evidence.rows.iter().map(|r| (r.axis.clone(), r.magnitude)).collect();
    let expected = [("base", 0.0), ("aaa_light", 5.0), ("camera_azimuth", -10.0), ("camera_azimuth", 20.0)];
    let expected: Vec<(String, f64)> = expected.iter().map(|(a, m)| (a.to_string(), *m)).collect();
    assert_eq!(order, expected);
}
