//! Checkpoint resolution from local directories and an offline Hugging Face cache laid out by
//! the tests. No test makes a network request: every hub resolution runs in offline mode.

mod encoder_support;

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use encoder_support::{assert_close, fixture_dir, reference};
use pickloop::perception::encoders::checkpoint::sha256_file;
use pickloop::perception::encoders::pipeline::{CONFIG_FILE, PREPROCESSOR_FILE, TOKENIZER_FILE, WEIGHTS_FILE};
use pickloop::perception::encoders::{Checkpoint, CheckpointSpec, EncoderError, HubSettings, SiglipEncoder};
use sha2::{Digest, Sha256};

const FILES: [&str; 4] = [CONFIG_FILE, WEIGHTS_FILE, PREPROCESSOR_FILE, TOKENIZER_FILE];
const REPO_ID: &str = "google/siglip-tiny";
const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Lays out `models--google--siglip-tiny` as huggingface_hub does: content-addressed blobs,
/// snapshot files linking to them, and `refs/main` naming the commit.
fn lay_out_cache(cache: &Path) -> PathBuf {
    let repo = cache.join("models--google--siglip-tiny");
    let snapshot = repo.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    for name in FILES {
        let source = fixture_dir("siglip-tiny").join(name);
        let blob = repo.join("blobs").join(sha256_file(&source).unwrap());
        std::fs::copy(&source, &blob).unwrap();
        std::os::unix::fs::symlink(&blob, snapshot.join(name)).unwrap();
    }
    std::fs::write(repo.join("refs").join("main"), COMMIT).unwrap();
    snapshot
}

fn offline(cache: &Path) -> HubSettings {
    HubSettings {
        cache_dir: cache.to_path_buf(),
        offline: true,
    }
}

fn hub_spec(revision: Option<&str>) -> CheckpointSpec {
    CheckpointSpec::Hub {
        repo_id: REPO_ID.to_owned(),
        revision: revision.map(str::to_owned),
    }
}

fn sha256_hex(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn spec_parses_hub_ids_and_directories() {
    let dir = fixture_dir("siglip-tiny");

    assert_eq!(CheckpointSpec::parse(dir.to_str().unwrap()).unwrap(), CheckpointSpec::Local(dir.clone()));
    assert_eq!(
        CheckpointSpec::parse("google/siglip-base-patch16-224@v1.0").unwrap(),
        CheckpointSpec::Hub {
            repo_id: "google/siglip-base-patch16-224".into(),
            revision: Some("v1.0".into())
        }
    );
    assert_eq!(
        CheckpointSpec::parse("gpt2").unwrap(),
        CheckpointSpec::Hub {
            repo_id: "gpt2".into(),
            revision: None
        }
    );
    assert!(CheckpointSpec::parse("").is_err());
    assert!(CheckpointSpec::parse("google/siglip@").is_err());
    assert!(CheckpointSpec::parse("a/b/c").is_err());
    assert!(CheckpointSpec::parse("./no/such/dir").is_err());
    assert!(CheckpointSpec::parse("google/sig lip").is_err());
    assert!(CheckpointSpec::parse("google/siglip@../../etc").is_err());
}

#[test]
fn local_directory_records_file_hashes() {
    let dir = fixture_dir("siglip-tiny");
    let spec = CheckpointSpec::Local(dir.clone());

    let checkpoint = Checkpoint::resolve_with(&spec, &FILES, &offline(Path::new("/nonexistent"))).unwrap();

    assert_eq!(checkpoint.id, dir.display().to_string());
    assert_eq!(checkpoint.revision, None);
    assert_eq!(checkpoint.files.len(), FILES.len());
    for file in &checkpoint.files {
        assert_eq!(file.path, dir.join(&file.name));
        assert_eq!(file.sha256, sha256_hex(&file.path), "{}", file.name);
    }
}

#[test]
fn local_missing_file_names_path_and_fix() {
    let dir = fixture_dir("dinov2-tiny");
    let spec = CheckpointSpec::Local(dir.clone());

    let error = Checkpoint::resolve_with(&spec, &FILES, &offline(Path::new("/nonexistent"))).unwrap_err();

    assert!(matches!(error, EncoderError::MissingFile { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&dir.join(TOKENIZER_FILE).display().to_string()), "{message}");
    assert!(message.contains("copy tokenizer.json"), "{message}");
}

#[test]
fn offline_cache_resolves_main_ref() {
    let cache = tempfile::tempdir().unwrap();
    let snapshot = lay_out_cache(cache.path());

    let checkpoint = Checkpoint::resolve_with(&hub_spec(None), &FILES, &offline(cache.path())).unwrap();

    assert_eq!(checkpoint.id, REPO_ID);
    assert_eq!(checkpoint.revision.as_deref(), Some(COMMIT));
    for file in &checkpoint.files {
        assert_eq!(file.path, snapshot.join(&file.name));
        assert_eq!(file.sha256, sha256_hex(&fixture_dir("siglip-tiny").join(&file.name)));
    }
    let record = serde_json::to_value(&checkpoint).unwrap();
    assert_eq!(record["id"], REPO_ID);
    assert_eq!(record["revision"], COMMIT);
    assert_eq!(record["files"][1]["name"], WEIGHTS_FILE);
    assert_eq!(record["files"][1]["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn offline_cache_model_matches_reference() {
    let cache = tempfile::tempdir().unwrap();
    lay_out_cache(cache.path());
    let checkpoint = Checkpoint::resolve_with(&hub_spec(None), &FILES, &offline(cache.path())).unwrap();

    let encoder = SiglipEncoder::from_checkpoint(checkpoint, &Device::Cpu).unwrap();
    let tensors = reference("siglip-tiny");
    let input_ids = tensors["input_ids"].to_dtype(DType::U32).unwrap();
    let output = encoder.model.forward(&tensors["pixel_values"], &input_ids).unwrap();

    assert_close("cached logits_per_image", &output.logits_per_image, &tensors["logits_per_image"]);
}

#[test]
fn offline_cache_resolves_commit_and_branch() {
    let cache = tempfile::tempdir().unwrap();
    lay_out_cache(cache.path());
    let repo = cache.path().join("models--google--siglip-tiny");
    std::fs::write(repo.join("refs").join("stable"), format!("{COMMIT}\n")).unwrap();

    let by_commit = Checkpoint::resolve_with(&hub_spec(Some(COMMIT)), &FILES, &offline(cache.path())).unwrap();
    let by_branch = Checkpoint::resolve_with(&hub_spec(Some("stable")), &FILES, &offline(cache.path())).unwrap();

    assert_eq!(by_commit.revision.as_deref(), Some(COMMIT));
    assert_eq!(by_branch.revision.as_deref(), Some(COMMIT));
}

#[test]
fn offline_missing_file_names_path_and_fix() {
    let cache = tempfile::tempdir().unwrap();
    let snapshot = lay_out_cache(cache.path());
    std::fs::remove_file(snapshot.join(TOKENIZER_FILE)).unwrap();

    let error = Checkpoint::resolve_with(&hub_spec(None), &FILES, &offline(cache.path())).unwrap_err();

    let message = error.to_string();
    assert!(matches!(error, EncoderError::MissingFile { .. }), "{error:?}");
    assert!(message.contains(&snapshot.join(TOKENIZER_FILE).display().to_string()), "{message}");
    assert!(message.contains("HF_HUB_OFFLINE"), "{message}");
    assert!(message.contains("hf download google/siglip-tiny --revision"), "{message}");
}

#[test]
fn offline_missing_ref_names_ref_path() {
    let cache = tempfile::tempdir().unwrap();
    lay_out_cache(cache.path());

    let error = Checkpoint::resolve_with(&hub_spec(Some("dev")), &FILES, &offline(cache.path())).unwrap_err();

    let expected = cache.path().join("models--google--siglip-tiny").join("refs").join("dev");
    assert!(error.to_string().contains(&expected.display().to_string()), "{error}");
}

#[test]
fn truncated_weights_are_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    for name in FILES {
        std::fs::copy(fixture_dir("siglip-tiny").join(name), dir.path().join(name)).unwrap();
    }
    let weights = dir.path().join(WEIGHTS_FILE);
    let bytes = std::fs::read(&weights).unwrap();
    std::fs::write(&weights, &bytes[..bytes.len() - 100]).unwrap();
    let checkpoint =
        Checkpoint::resolve_with(&CheckpointSpec::Local(dir.path().into()), &FILES, &offline(dir.path())).unwrap();

    let error = SiglipEncoder::from_checkpoint(checkpoint, &Device::Cpu).unwrap_err();

    assert!(matches!(error, EncoderError::CorruptFile { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&weights.display().to_string()), "{message}");
    assert!(message.contains("fetch it again"), "{message}");
}

#[test]
fn invalid_config_json_is_reported_as_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    for name in FILES {
        std::fs::copy(fixture_dir("siglip-tiny").join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(dir.path().join(CONFIG_FILE), "{\"text_config\": ").unwrap();
    let checkpoint =
        Checkpoint::resolve_with(&CheckpointSpec::Local(dir.path().into()), &FILES, &offline(dir.path())).unwrap();

    let error = SiglipEncoder::from_checkpoint(checkpoint, &Device::Cpu).unwrap_err();

    assert!(matches!(error, EncoderError::CorruptFile { .. }), "{error:?}");
    assert!(error.to_string().contains("config.json"), "{error}");
}

/// The only test in this binary that reads or sets the environment, so no other test races it.
#[test]
fn environment_selects_cache_and_offline_mode() {
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("hub");
    lay_out_cache(&cache);
    // SAFETY: no other test in this binary reads or writes the environment.
    unsafe {
        std::env::remove_var("HF_HUB_CACHE");
        std::env::remove_var("HUGGINGFACE_HUB_CACHE");
        std::env::set_var("HF_HOME", home.path());
        std::env::set_var("HF_HUB_OFFLINE", "1");
    }
    assert_eq!(HubSettings::from_env(), offline(&cache));
    let via_home = Checkpoint::resolve(REPO_ID, &FILES).unwrap();

    let other = tempfile::tempdir().unwrap();
    lay_out_cache(other.path());
    // SAFETY: as above.
    unsafe {
        std::env::set_var("HF_HUB_CACHE", other.path());
        std::env::set_var("HF_HUB_OFFLINE", "false");
    }
    let settings = HubSettings::from_env();

    assert_eq!(via_home.files[0].path.parent().unwrap().parent().unwrap().parent().unwrap().parent().unwrap(), cache);
    assert_eq!(settings.cache_dir, other.path());
    assert!(!settings.offline);
}
