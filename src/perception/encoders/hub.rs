//! Hugging Face cache lookups and downloads through `hf-hub`.

use std::path::{Path, PathBuf};

use hf_hub::api::sync::ApiBuilder;
use hf_hub::{Cache, Repo};

use super::error::{EncoderError, Result};

/// Length of a full git commit hash in hex digits.
const COMMIT_HASH_LEN: usize = 40;

/// Hub cache location and network policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSettings {
    /// The `hub` cache directory, which contains `models--ORG--NAME` folders.
    pub cache_dir: PathBuf,
    /// Read the cache only; a missing file is an error instead of a download.
    pub offline: bool,
}

impl HubSettings {
    /// Reads the settings the way `huggingface_hub` does: the cache is `HF_HUB_CACHE`, else
    /// `HUGGINGFACE_HUB_CACHE`, else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`,
    /// else `~/.cache/huggingface/hub`. `HF_HUB_OFFLINE` set to 1, true, yes or on (any case)
    /// turns on offline mode.
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        let cache_dir = var("HF_HUB_CACHE")
            .or_else(|| var("HUGGINGFACE_HUB_CACHE"))
            .map(PathBuf::from)
            .or_else(|| var("HF_HOME").map(|home| PathBuf::from(home).join("hub")))
            .or_else(|| var("XDG_CACHE_HOME").map(|cache| PathBuf::from(cache).join("huggingface").join("hub")))
            .or_else(|| var("HOME").map(|home| PathBuf::from(home).join(".cache").join("huggingface").join("hub")))
            .unwrap_or_else(|| PathBuf::from(".cache").join("huggingface").join("hub"));
        let offline = std::env::var("HF_HUB_OFFLINE")
            .map(|value| matches!(value.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on"))
            .unwrap_or(false);
        Self { cache_dir, offline }
    }
}

/// A hub file found in or downloaded into the cache.
#[derive(Debug, Clone)]
pub(super) struct HubFile {
    pub path: PathBuf,
    /// Commit hash of the snapshot that contains the file.
    pub commit: String,
}

fn is_commit_hash(revision: &str) -> bool {
    revision.len() == COMMIT_HASH_LEN && revision.chars().all(|c| c.is_ascii_hexdigit())
}

/// Returns the commit named by the snapshot folder that contains `path`.
fn snapshot_commit(path: &Path) -> Option<String> {
    path.ancestors()
        .skip(1)
        .find(|dir| dir.parent().and_then(Path::file_name) == Some("snapshots".as_ref()))
        .and_then(Path::file_name)
        .map(|name| name.to_string_lossy().into_owned())
}

/// Finds `name` of `repo` in the cache. Returns `Ok(None)` when the file is absent and the
/// network may be used, and an error naming the expected path and the fix when it is absent
/// in offline mode.
///
/// A commit revision names its snapshot folder directly; a branch or tag is looked up in
/// `refs/`. The ref is read with surrounding whitespace trimmed, where `hf-hub` 0.4's
/// `CacheRepo::get` would take a trailing newline as part of the commit.
pub(super) fn cache_lookup(
    hub: &HubSettings,
    repo: &Repo,
    repo_id: &str,
    revision: &str,
    name: &str,
) -> Result<Option<HubFile>> {
    let repo_dir = hub.cache_dir.join(repo.folder_name());
    let ref_path = repo_dir.join("refs").join(revision);
    let commit = if is_commit_hash(revision) {
        Some(revision.to_owned())
    } else {
        std::fs::read_to_string(&ref_path).ok().map(|commit| commit.trim().to_owned())
    };
    let expected = match &commit {
        Some(commit) => repo_dir.join("snapshots").join(commit).join(name),
        None => ref_path,
    };
    if let Some(commit) = commit
        && expected.is_file()
    {
        return Ok(Some(HubFile { path: expected, commit }));
    }
    if !hub.offline {
        return Ok(None);
    }
    Err(EncoderError::MissingFile {
        path: expected,
        fix: format!(
            "HF_HUB_OFFLINE is set and the cache {} has no {name} of {repo_id}@{revision}; \
             fetch the checkpoint where the hub is reachable (`hf download {repo_id} --revision {revision}`) \
             and copy the cache here, or unset HF_HUB_OFFLINE",
            hub.cache_dir.display()
        ),
    })
}

/// Downloads `name` of `repo` into the cache.
pub(super) fn download(hub: &HubSettings, repo: &Repo, repo_id: &str, revision: &str, name: &str) -> Result<HubFile> {
    let download_error = |source| EncoderError::Download {
        repo_id: repo_id.to_owned(),
        revision: revision.to_owned(),
        file: name.to_owned(),
        source: Box::new(source),
    };
    tracing::info!(%repo_id, %revision, file = %name, "downloading checkpoint file");
    let api = ApiBuilder::from_cache(Cache::new(hub.cache_dir.clone()))
        .with_progress(false)
        .build()
        .map_err(download_error)?;
    let path = api.repo(repo.clone()).get(name).map_err(download_error)?;
    let commit = snapshot_commit(&path).ok_or_else(|| EncoderError::MissingFile {
        fix: format!("hf-hub stored {name} outside a snapshots/COMMIT folder; clear {} and retry", hub.cache_dir.display()),
        path: path.clone(),
    })?;
    Ok(HubFile { path, commit })
}
