//! Checkpoint resolution: a spec string names a local directory or a Hugging Face hub model
//! (`ORG/NAME` or `NAME`, with an optional `@REVISION`), and resolves to files on disk.
//!
//! Hub models are read from the Hugging Face cache layout that `huggingface_hub` and `hf-hub`
//! share (`models--ORG--NAME/{refs,snapshots,blobs}`). The cache directory and offline mode
//! follow the `huggingface_hub` environment variables, see [`HubSettings::from_env`]. Every
//! resolved file is hashed with SHA-256 so that evidence rows can name exactly which weights ran.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use hf_hub::{Repo, RepoType};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::error::{EncoderError, Result};
use super::hub::{HubSettings, cache_lookup, download};

/// Revision used when a hub spec has no `@REVISION`.
pub const DEFAULT_REVISION: &str = "main";

/// Read size for hashing; large enough that hashing a 1 GB file is not dominated by syscalls.
const HASH_CHUNK_BYTES: usize = 1 << 20;

/// Size of the little-endian header length that starts every safetensors file.
const SAFETENSORS_LENGTH_BYTES: u64 = 8;

/// Largest safetensors JSON header accepted; the format itself caps it at 100 MB.
const SAFETENSORS_MAX_HEADER_BYTES: u64 = 100_000_000;

/// Source of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointSpec {
    /// A directory that contains the files directly.
    Local(PathBuf),
    /// A hub model id; `None` means [`DEFAULT_REVISION`].
    Hub {
        repo_id: String,
        revision: Option<String>,
    },
}

impl CheckpointSpec {
    /// Parses a spec: an existing directory, or `NAME`, `ORG/NAME`, `ORG/NAME@REVISION`.
    pub fn parse(spec: &str) -> Result<Self> {
        let invalid = |reason: &str| EncoderError::InvalidSpec {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        if spec.trim().is_empty() {
            return Err(invalid("the spec is empty; pass a directory or a hub id such as google/siglip-base-patch16-224"));
        }
        let path = Path::new(spec);
        if path.is_dir() {
            return Ok(Self::Local(path.to_path_buf()));
        }
        let looks_like_path = spec.starts_with('/')
            || spec.starts_with('.')
            || spec.starts_with('~')
            || (spec.matches('/').count() > 1 && !spec.contains('@'));
        if looks_like_path {
            return Err(invalid("no such directory; check the path, or pass a hub id as ORG/NAME[@REVISION]"));
        }

        let (repo_id, revision) = match spec.split_once('@') {
            Some((id, "")) => {
                return Err(invalid(&format!("the revision after '@' is empty; pass {id}@main or a commit hash")));
            }
            Some((_, rev)) if rev.starts_with('/') || rev.split('/').any(|part| part == "..") => {
                return Err(invalid("the revision must be a branch, tag or commit, without '..' or a leading '/'"));
            }
            Some((id, rev)) => (id, Some(rev.to_owned())),
            None => (spec, None),
        };
        let parts: Vec<&str> = repo_id.split('/').collect();
        let valid_part = |part: &&str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        };
        if parts.len() > 2 || !parts.iter().all(valid_part) {
            return Err(invalid(
                "not a directory and not a hub id; a hub id is NAME or ORG/NAME made of letters, digits, '-', '_' and '.'",
            ));
        }
        Ok(Self::Hub {
            repo_id: repo_id.to_owned(),
            revision,
        })
    }
}

/// One resolved checkpoint file with its content hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointFile {
    /// File name inside the checkpoint, e.g. `model.safetensors`.
    pub name: String,
    pub path: PathBuf,
    /// Lowercase hex SHA-256 of the file content.
    pub sha256: String,
}

/// One way a checkpoint can provide a component, such as its tokenizer: files that must all
/// exist, and files that are used when they exist.
#[derive(Debug, Clone, Copy)]
pub struct FileAlternative<'a> {
    pub required: &'a [&'a str],
    pub optional: &'a [&'a str],
}

/// A resolved checkpoint: the location and SHA-256 of each file. It serialises to the record
/// that evidence rows store.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// Hub model id, or the directory as given for a local checkpoint.
    pub id: String,
    /// Commit hash of a hub checkpoint; `None` for a local directory.
    pub revision: Option<String>,
    pub files: Vec<CheckpointFile>,
}

impl Checkpoint {
    /// Resolves `spec` with the hub settings from the environment. Every file in `required`
    /// must exist; see [`Checkpoint::resolve_with`].
    pub fn resolve(spec: &str, required: &[&str]) -> Result<Self> {
        Self::resolve_with(&CheckpointSpec::parse(spec)?, required, &HubSettings::from_env())
    }

    /// Resolves `spec` to the files in `required`, hashing each one.
    ///
    /// Hub files come from the cache when present. Otherwise they are downloaded into the
    /// cache, unless `hub.offline` is set, in which case the missing file is an error.
    pub fn resolve_with(spec: &CheckpointSpec, required: &[&str], hub: &HubSettings) -> Result<Self> {
        Self::resolve_any_with(spec, required, &[], hub)
    }

    /// Resolves `spec` with the hub settings from the environment; see
    /// [`Checkpoint::resolve_any_with`].
    pub fn resolve_any(spec: &str, required: &[&str], alternatives: &[FileAlternative<'_>]) -> Result<Self> {
        Self::resolve_any_with(&CheckpointSpec::parse(spec)?, required, alternatives, &HubSettings::from_env())
    }

    /// Resolves the files in `required` and then the first of `alternatives` whose required
    /// files all exist, with those of its optional files that exist. An empty `alternatives`
    /// resolves `required` alone; when no alternative is complete, the error names them all.
    /// Files are found as in [`Checkpoint::resolve_with`].
    pub fn resolve_any_with(
        spec: &CheckpointSpec,
        required: &[&str],
        alternatives: &[FileAlternative<'_>],
        hub: &HubSettings,
    ) -> Result<Self> {
        let id = match spec {
            CheckpointSpec::Local(dir) => dir.display().to_string(),
            CheckpointSpec::Hub { repo_id, .. } => repo_id.clone(),
        };
        let mut revision = None;
        let mut found: NamedPaths = Vec::with_capacity(required.len());
        for name in required {
            let (path, commit) = locate(spec, hub, name)?;
            revision = commit.or(revision);
            found.push(((*name).to_owned(), path));
        }
        if !alternatives.is_empty() {
            let (paths, commit) = locate_alternative(spec, hub, &id, alternatives)?;
            revision = commit.or(revision);
            found.extend(paths);
        }

        let mut files = Vec::with_capacity(found.len());
        for (name, path) in found {
            let sha256 = sha256_file(&path)?;
            tracing::debug!(file = %path.display(), %sha256, "resolved checkpoint file");
            files.push(CheckpointFile { name, path, sha256 });
        }
        tracing::info!(id = %id, revision = ?revision, files = files.len(), "resolved checkpoint");
        Ok(Self { id, revision, files })
    }

    /// Returns the path of a resolved file, or `None` when the checkpoint was resolved without it.
    pub fn find_path(&self, name: &str) -> Option<&Path> {
        self.files
            .iter()
            .find(|file| file.name == name)
            .map(|file| file.path.as_path())
    }

    /// Returns the path of a resolved file.
    pub fn path(&self, name: &str) -> Result<&Path> {
        self.find_path(name).ok_or_else(|| EncoderError::MissingFile {
                path: PathBuf::from(name),
                fix: format!("checkpoint {} was resolved without {name}; add it to the required files", self.id),
            })
    }

    /// Parses a resolved JSON file such as `config.json`.
    pub fn read_json<T: DeserializeOwned>(&self, name: &str) -> Result<T> {
        read_json(self.path(name)?)
    }

    /// Loads a resolved safetensors file into a [`VarBuilder`] that addresses tensors by their
    /// stored names, after checking that the file is complete.
    pub fn var_builder(&self, name: &str, dtype: DType, device: &Device) -> Result<VarBuilder<'static>> {
        let path = self.path(name)?;
        validate_safetensors(path)?;
        let tensors = candle_core::safetensors::load(path, device).map_err(|err| corrupt(path, &err.to_string()))?;
        Ok(VarBuilder::from_tensors(tensors, dtype, device))
    }
}

/// Parses a JSON file, naming the file in the error.
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| EncoderError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|err| corrupt(path, &format!("invalid JSON: {err}")))
}

/// Finds `name` of the checkpoint, downloading a hub file that the cache lacks unless offline.
/// Returns the path and, for a hub checkpoint, the commit of the snapshot that contains it.
fn locate(spec: &CheckpointSpec, hub: &HubSettings, name: &str) -> Result<(PathBuf, Option<String>)> {
    match spec {
        CheckpointSpec::Local(dir) => Ok((local_file(dir, name)?, None)),
        CheckpointSpec::Hub { repo_id, revision } => {
            let revision = revision.as_deref().unwrap_or(DEFAULT_REVISION);
            let repo = Repo::with_revision(repo_id.clone(), RepoType::Model, revision.to_owned());
            let resolved = match cache_lookup(hub, &repo, repo_id, revision, name)? {
                Some(found) => found,
                None => download(hub, &repo, repo_id, revision, name)?,
            };
            Ok((resolved.path, Some(resolved.commit)))
        }
    }
}

/// Like [`locate`], but a file that is missing or fails to download is `Ok(None)`, with the
/// error kept in `misses` for the message when no alternative is complete.
fn locate_if_present(
    spec: &CheckpointSpec,
    hub: &HubSettings,
    name: &str,
    misses: &mut Vec<String>,
) -> Result<Option<(PathBuf, Option<String>)>> {
    match locate(spec, hub, name) {
        Ok(found) => Ok(Some(found)),
        Err(err @ (EncoderError::MissingFile { .. } | EncoderError::Download { .. })) => {
            tracing::debug!(file = %name, error = %err, "optional checkpoint file not found");
            misses.push(err.to_string());
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// Checkpoint file names with their paths on disk.
type NamedPaths = Vec<(String, PathBuf)>;

/// Resolves the first complete alternative; see [`Checkpoint::resolve_any_with`].
fn locate_alternative(
    spec: &CheckpointSpec,
    hub: &HubSettings,
    id: &str,
    alternatives: &[FileAlternative<'_>],
) -> Result<(NamedPaths, Option<String>)> {
    let mut misses = Vec::new();
    'alternatives: for alternative in alternatives {
        let mut paths = Vec::new();
        let mut revision = None;
        for name in alternative.required {
            let Some((path, commit)) = locate_if_present(spec, hub, name, &mut misses)? else {
                continue 'alternatives;
            };
            revision = commit.or(revision);
            paths.push(((*name).to_owned(), path));
        }
        for name in alternative.optional {
            if let Some((path, commit)) = locate_if_present(spec, hub, name, &mut Vec::new())? {
                revision = commit.or(revision);
                paths.push(((*name).to_owned(), path));
            }
        }
        return Ok((paths, revision));
    }

    let names: Vec<String> = alternatives
        .iter()
        .map(|alternative| alternative.required.join(" + "))
        .collect();
    let first = alternatives
        .first()
        .and_then(|alternative| alternative.required.first())
        .copied()
        .unwrap_or_default();
    Err(EncoderError::MissingFile {
        path: PathBuf::from(first),
        fix: format!(
            "checkpoint {id} has none of {}; add one of them ({})",
            names.join(", "),
            misses.join("; ")
        ),
    })
}

fn local_file(dir: &Path, name: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(EncoderError::MissingFile {
            fix: format!(
                "copy {name} of the same checkpoint into {}, or pass a directory or hub id that has it",
                dir.display()
            ),
            path,
        })
    }
}

pub(super) fn corrupt(path: &Path, reason: &str) -> EncoderError {
    EncoderError::CorruptFile {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
        fix: "delete the file and fetch it again (for a hub cache entry, delete the snapshot file and \
              the blob it links to, then resolve once without HF_HUB_OFFLINE)"
            .to_owned(),
    }
}

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| EncoderError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Hashes a file with SHA-256, returning lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; HASH_CHUNK_BYTES];
    loop {
        let read = file.read(&mut buffer).map_err(|source| EncoderError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Checks that a safetensors file has a readable header and exactly the data it declares, which
/// catches truncated downloads before the tensors are read.
fn validate_safetensors(path: &Path) -> Result<()> {
    let mut file = open(path)?;
    let io_error = |source| EncoderError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file_len = file.metadata().map_err(io_error)?.len();
    let mut length_bytes = [0u8; SAFETENSORS_LENGTH_BYTES as usize];
    file.read_exact(&mut length_bytes)
        .map_err(|_| corrupt(path, &format!("only {file_len} bytes, shorter than the header length")))?;
    let header_len = u64::from_le_bytes(length_bytes);
    if header_len > SAFETENSORS_MAX_HEADER_BYTES || SAFETENSORS_LENGTH_BYTES + header_len > file_len {
        return Err(corrupt(path, &format!("header length {header_len} does not fit a {file_len}-byte file")));
    }
    let mut header = vec![0u8; header_len as usize];
    file.read_exact(&mut header).map_err(io_error)?;
    let header: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header).map_err(|err| corrupt(path, &format!("invalid header JSON: {err}")))?;

    let mut data_len = 0u64;
    for (name, entry) in header.iter().filter(|(name, _)| name.as_str() != "__metadata__") {
        let end = entry
            .get("data_offsets")
            .and_then(|offsets| offsets.get(1))
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| corrupt(path, &format!("tensor {name} has no data_offsets")))?;
        data_len = data_len.max(end);
    }
    let expected = SAFETENSORS_LENGTH_BYTES + header_len + data_len;
    if expected != file_len {
        return Err(corrupt(
            path,
            &format!("the header declares {expected} bytes but the file has {file_len}"),
        ));
    }
    Ok(())
}
