//! `gallery.md`: one section per failed episode, linking the frames that the episode's run
//! saved under `RUN_DIR/gallery/JOB/`.

use std::fmt::Write;
use std::path::Path;

use anyhow::Context;
use tracing::info;

use super::load::LoadedRow;

/// Directory inside a run (and inside the report) that contains one folder per job.
pub const GALLERY_DIR: &str = "gallery";
/// Files an episode's gallery folder may contain, in the order they are shown, with captions.
pub const GALLERY_FILES: [(&str, &str); 4] = [
    ("first.png", "first frame"),
    ("decision.png", "decision frame"),
    ("last.png", "last frame"),
    ("episode.gif", "whole episode"),
];

/// Writes `report_dir/gallery.md` for the failed episodes in `rows`. Their gallery files are
/// copied to `report_dir/gallery/JOB/` unless the report directory is the run directory.
/// Returns the number of failed episodes listed.
pub fn write_gallery(report_dir: &Path, rows: &[LoadedRow]) -> anyhow::Result<usize> {
    let failed: Vec<&LoadedRow> = rows.iter().filter(|r| !r.row.outcome.success).collect();
    let mut text = String::from("# Failed episodes\n\n");
    if failed.is_empty() {
        text.push_str("No episode failed.\n");
    }
    let mut with_images = 0;
    for row in &failed {
        let images = gallery_images(report_dir, row)?;
        if !images.is_empty() {
            with_images += 1;
        }
        write_section(&mut text, row, &images);
    }
    let path = report_dir.join("gallery.md");
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    info!(failed = failed.len(), with_images, path = %path.display(), "wrote the gallery of failed episodes");
    Ok(failed.len())
}

/// Finds the episode's gallery files, copies them into the report when it lives elsewhere,
/// and returns `(file name, caption, link relative to report_dir)` for each.
fn gallery_images(report_dir: &Path, row: &LoadedRow) -> anyhow::Result<Vec<(&'static str, &'static str, String)>> {
    let source = row.run_dir.join(GALLERY_DIR).join(&row.job);
    let target = report_dir.join(GALLERY_DIR).join(&row.job);
    let same_dir = same_directory(&source, &target);
    let mut images = Vec::new();
    for (name, caption) in GALLERY_FILES {
        let file = source.join(name);
        if !file.is_file() {
            continue;
        }
        if !same_dir {
            std::fs::create_dir_all(&target).with_context(|| format!("cannot create {}", target.display()))?;
            std::fs::copy(&file, target.join(name))
                .with_context(|| format!("cannot copy {} to {}", file.display(), target.display()))?;
        }
        images.push((name, caption, format!("{GALLERY_DIR}/{}/{name}", row.job)));
    }
    Ok(images)
}

fn same_directory(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn write_section(text: &mut String, row: &LoadedRow, images: &[(&str, &str, String)]) {
    let episode = &row.row;
    let kind = episode.outcome.failure.map_or("none recorded", |k| k.as_str());
    let chosen = episode
        .decision
        .as_ref()
        .map(|d| d.chosen_object.clone().unwrap_or_else(|| "no object".to_owned()))
        .unwrap_or_else(|| "no decision".to_owned());
    let unit = if row.unit.is_empty() { String::new() } else { format!(" {}", row.unit) };
    let _ = writeln!(text, "## {} / {} = {}{unit} / {} / seed {}\n", episode.scene.name, row.axis, row.magnitude, row.label, episode.seed);
    let _ = writeln!(text, "- job: `{}`", row.job);
    let _ = writeln!(text, "- failure: {kind}");
    let _ = writeln!(text, "- detail: {}", episode.outcome.detail);
    let _ = writeln!(text, "- chosen object: {chosen}; target: {}", episode.target);
    let perturbation = if episode.perturbation.is_empty() { "none".to_owned() } else { episode.perturbation.join(", ") };
    let _ = writeln!(text, "- perturbation: {perturbation}");
    let _ = writeln!(text, "- evidence: `{}` line {}", row.file.display(), row.line);
    if images.is_empty() {
        text.push_str("- images: none saved\n");
    }
    text.push('\n');
    for (_, caption, link) in images {
        let _ = writeln!(text, "![{caption}]({link})");
    }
    if !images.is_empty() {
        text.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::episode::{EvidenceRow, FailureKind};
    use crate::report::fixture::{plain_row, swept_row};

    fn row_in(run_dir: &Path, row: EvidenceRow) -> LoadedRow {
        LoadedRow::from_row(row, &run_dir.join("evidence.jsonl"), 1)
    }

    #[test]
    fn gallery_copies_images_of_failed_episodes() {
        let run = tempfile::tempdir().unwrap();
        let report = tempfile::tempdir().unwrap();
        let failed = row_in(run.path(), swept_row("siglip", "camera_azimuth", 20.0, 1000, Some(FailureKind::WrongObject)));
        let source = run.path().join(GALLERY_DIR).join(&failed.job);
        std::fs::create_dir_all(&source).unwrap();
        std::fs::write(source.join("first.png"), b"png bytes").unwrap();
        std::fs::write(source.join("episode.gif"), b"gif bytes").unwrap();
        let passed = row_in(run.path(), swept_row("siglip", "camera_azimuth", 20.0, 1001, None));
        let bare = row_in(run.path(), plain_row("random", 1000, Some(FailureKind::Timeout)));

        let listed = write_gallery(report.path(), &[failed.clone(), passed, bare.clone()]).unwrap();
        assert_eq!(listed, 2);
        let copied = report.path().join(GALLERY_DIR).join(&failed.job);
        assert_eq!(std::fs::read(copied.join("first.png")).unwrap(), b"png bytes");
        assert!(!copied.join("last.png").exists());
        let text = std::fs::read_to_string(report.path().join("gallery.md")).unwrap();
        assert!(text.contains(&format!("![first frame](gallery/{}/first.png)", failed.job)), "{text}");
        assert!(text.contains(&format!("![whole episode](gallery/{}/episode.gif)", failed.job)), "{text}");
        assert!(!text.contains("decision.png"));
        assert!(text.contains(&format!("- job: `{}`\n- failure: timeout", bare.job)), "{text}");
        assert!(text.contains("- images: none saved"));
        assert!(!text.contains("seed 1001"), "successful episodes are not listed");
    }

    #[test]
    fn gallery_in_run_dir_links_without_copy() {
        let run = tempfile::tempdir().unwrap();
        let failed = row_in(run.path(), swept_row("siglip", "camera_azimuth", 20.0, 1000, Some(FailureKind::Dropped)));
        let source = run.path().join(GALLERY_DIR).join(&failed.job);
        std::fs::create_dir_all(&source).unwrap();
        std::fs::write(source.join("last.png"), b"png").unwrap();
        write_gallery(run.path(), &[failed.clone()]).unwrap();
        let text = std::fs::read_to_string(run.path().join("gallery.md")).unwrap();
        assert!(text.contains(&format!("![last frame](gallery/{}/last.png)", failed.job)), "{text}");
    }
}
