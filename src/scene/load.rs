//! Reading scene files: bytes, hash, UTF-8 and RON parsing, with parse errors turned into
//! located [`Diagnostic`]s.

use std::io;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::diagnostic::Diagnostic;
use super::locate::SourceMap;
use super::parse_error::diagnostic_from_ron;
use super::schema::Scene;

/// A parsed scene together with the text it came from, so that later checks can point into
/// the file and evidence rows can record exactly which file ran.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedScene {
    pub scene: Scene,
    /// Path the file was loaded from, as given.
    pub path: PathBuf,
    pub source: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SceneError {
    #[error("cannot read scene file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file was read but is not a valid scene: not UTF-8, not RON, or not the schema.
    #[error("{0}")]
    Parse(Box<Diagnostic>),
}

impl SceneError {
    /// Converts the error into a diagnostic. A read error points at the whole file.
    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            SceneError::Read { path, source } => Diagnostic {
                file: path.clone(),
                line: 0,
                column: 0,
                path: String::new(),
                message: format!("cannot read the file: {source}"),
                value: None,
                fix: "check that the path names an existing, readable scene file \
                      (scenes/*.ron)"
                    .to_owned(),
            },
            SceneError::Parse(diagnostic) => (**diagnostic).clone(),
        }
    }
}

/// RON options for scene files. `implicit_some` lets optional fields be written as the plain
/// value (`jitter: (xy_m: 0.02)`) as well as `Some(...)`.
pub fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Reads and parses a scene file. Parse errors come back as one located diagnostic; semantic
/// problems are left to [`validate`](super::validate::validate).
pub fn load_scene(path: &Path) -> Result<LoadedScene, SceneError> {
    let bytes = std::fs::read(path).map_err(|source| SceneError::Read {
        path: path.to_owned(),
        source,
    })?;
    let sha256 = hex(&Sha256::digest(&bytes));
    let source = String::from_utf8(bytes)
        .map_err(|error| SceneError::Parse(Box::new(not_utf8(path, &error))))?;
    let scene = parse_scene(path, &source)?;
    Ok(LoadedScene {
        scene,
        path: path.to_owned(),
        source,
        sha256,
    })
}

/// Parses scene text; `file` only labels the diagnostic. Errors are always
/// [`SceneError::Parse`].
pub fn parse_scene(file: &Path, source: &str) -> Result<Scene, SceneError> {
    ron_options()
        .from_str::<Scene>(source)
        .map_err(|error| SceneError::Parse(Box::new(diagnostic_from_ron(file, source, &error))))
}

fn not_utf8(file: &Path, error: &std::string::FromUtf8Error) -> Diagnostic {
    let valid_up_to = error.utf8_error().valid_up_to();
    let bytes = error.as_bytes();
    // The prefix before the first invalid byte is valid UTF-8 by definition.
    let prefix = std::str::from_utf8(&bytes[..valid_up_to]).unwrap_or_default();
    let position = SourceMap::new(prefix).position_of_offset(valid_up_to);
    let invalid: Vec<String> = bytes[valid_up_to..]
        .iter()
        .take(4)
        .map(|b| format!("{b:#04x}"))
        .collect();
    Diagnostic {
        file: file.to_owned(),
        line: position.line,
        column: position.column,
        path: String::new(),
        message: "the file is not valid UTF-8".to_owned(),
        value: Some(format!("bytes {}", invalid.join(" "))),
        fix: "save the scene file as UTF-8 text".to_owned(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_bytes() {
        // SHA-256 of the ASCII bytes "abc", from FIPS 180-2 appendix B.1.
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn invalid_utf8_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.ron");
        std::fs::write(&path, b"Scene(\n  name: \"caf\xe9\",\n)").unwrap();
        let error = load_scene(&path).unwrap_err();
        let diagnostic = error.to_diagnostic();
        assert_eq!((diagnostic.line, diagnostic.column), (2, 13));
        assert!(diagnostic.message.contains("UTF-8"), "{diagnostic}");
        assert_eq!(
            diagnostic.value.as_deref(),
            Some("bytes 0xe9 0x22 0x2c 0x0a")
        );
    }

    #[test]
    fn optional_values_in_every_form() {
        let scene = include_str!("../../tests/fixtures/scenes/valid_minimal.ron");
        let jitter = "jitter: (xy_m: 0.02, yaw_deg: 180.0),";
        for (form, expected_xy_m) in [
            ("jitter: Some((xy_m: 0.05)),", Some(0.05)),
            ("jitter: (xy_m: 0.05),", Some(0.05)),
            ("jitter: None,", None),
            ("", None),
        ] {
            let source = scene.replacen(jitter, form, 1);
            let parsed = parse_scene(Path::new("x.ron"), &source).unwrap();
            let xy_m = parsed.objects[0].jitter.map(|j| j.xy_m);
            assert_eq!(xy_m, expected_xy_m, "{form:?}");
        }
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let error = load_scene(Path::new("no/such/scene.ron")).unwrap_err();
        assert!(matches!(error, SceneError::Read { .. }), "{error}");
        let diagnostic = error.to_diagnostic();
        assert_eq!(diagnostic.line, 0);
        assert!(
            diagnostic
                .to_string()
                .starts_with("no/such/scene.ron: error: cannot read")
        );
    }
}
