//! Writing named embedding tensors as safetensors or NumPy `.npy` files.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use candle_core::Tensor;

use super::error::{EncoderError, Result};

/// Output file format, chosen by the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// One `.safetensors` file with every tensor and the metadata in its header.
    Safetensors,
    /// One `.npy` file per tensor plus a `.json` file with the metadata, because an `.npy`
    /// file contains a single array and no metadata.
    Npy,
}

impl OutputFormat {
    /// Picks the format from the extension of `path` (case-insensitive).
    pub fn from_path(path: &Path) -> Result<Self> {
        let extension = path
            .extension()
            .map(|extension| extension.to_string_lossy().to_ascii_lowercase());
        match extension.as_deref() {
            Some("safetensors") => Ok(Self::Safetensors),
            Some("npy") => Ok(Self::Npy),
            _ => Err(EncoderError::InvalidInput(format!(
                "output {} has no supported extension; end it in .safetensors or .npy",
                path.display()
            ))),
        }
    }
}

/// Paths written for `out` with `names` in `format`. A `.npy` output `DIR/STEM.npy` becomes
/// `DIR/STEM.NAME.npy` per tensor and `DIR/STEM.json` for the metadata, so that a request for
/// several tensors never overwrites one file with another.
pub fn output_paths(out: &Path, format: OutputFormat, names: &[&str]) -> Vec<PathBuf> {
    match format {
        OutputFormat::Safetensors => vec![out.to_path_buf()],
        OutputFormat::Npy => {
            let stem = out.file_stem().map(|stem| stem.to_string_lossy().into_owned()).unwrap_or_default();
            let mut paths: Vec<PathBuf> = names
                .iter()
                .map(|name| out.with_file_name(format!("{stem}.{name}.npy")))
                .collect();
            paths.push(out.with_file_name(format!("{stem}.json")));
            paths
        }
    }
}

/// Writes `tensors` with `metadata` to `out` in the format its extension names and returns
/// the paths written; see [`output_paths`] for the `.npy` layout.
pub fn write_tensors(out: &Path, tensors: &[(String, Tensor)], metadata: &BTreeMap<String, String>) -> Result<Vec<PathBuf>> {
    let format = OutputFormat::from_path(out)?;
    if let Some(parent) = out.parent().filter(|parent| !parent.as_os_str().is_empty())
        && !parent.is_dir()
    {
        return Err(EncoderError::InvalidInput(format!(
            "output directory {} does not exist; create it or choose another --out",
            parent.display()
        )));
    }
    let names: Vec<&str> = tensors.iter().map(|(name, _)| name.as_str()).collect();
    let paths = output_paths(out, format, &names);
    match format {
        OutputFormat::Safetensors => {
            let header: HashMap<String, String> = metadata.clone().into_iter().collect();
            let views = tensors.iter().map(|(name, tensor)| (name.as_str(), tensor));
            safetensors::serialize_to_file(views, Some(header), out).map_err(|err| write_error(out, err))?;
        }
        OutputFormat::Npy => {
            for ((_, tensor), path) in tensors.iter().zip(&paths) {
                tensor.write_npy(path).map_err(|err| write_error(path, err))?;
            }
            let json_path = paths.last().expect("output_paths adds the metadata path");
            let json = serde_json::to_string_pretty(metadata).expect("string maps serialise to JSON");
            std::fs::write(json_path, json).map_err(|err| write_error(json_path, err))?;
        }
    }
    for path in &paths {
        tracing::info!(path = %path.display(), "wrote");
    }
    Ok(paths)
}

fn write_error(path: &Path, err: impl std::fmt::Display) -> EncoderError {
    EncoderError::Write {
        path: path.to_path_buf(),
        message: err.to_string(),
    }
}
