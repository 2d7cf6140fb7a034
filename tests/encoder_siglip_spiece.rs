//! SigLIP checkpoints that ship a SentencePiece `spiece.model` and no `tokenizer.json`.
//!
//! The fixture in tests/fixtures/siglip-spiece comes from tools/make_siglip_spiece_fixture.py,
//! which stores the ids that transformers 5.25's `SiglipTokenizer` returns.

mod encoder_support;

use std::path::{Path, PathBuf};

use candle_core::{D, Device, Tensor};
use encoder_support::{assert_close, fixture_dir};
use pickloop::perception::encoders::checkpoint::sha256_file;
use pickloop::perception::encoders::pipeline::{
    CONFIG_FILE, PREPROCESSOR_FILE, SIGLIP_TOKENIZER_FILES, SPIECE_FILE, TOKENIZER_CONFIG_FILE, TOKENIZER_FILE,
    WEIGHTS_FILE,
};
use pickloop::perception::encoders::{Checkpoint, CheckpointSpec, HubSettings, SiglipEncoder, TextTokenizer};

const REPO_ID: &str = "google/siglip-spiece-tiny";
const COMMIT: &str = "89abcdef0123456789abcdef0123456789abcdef";

/// Largest difference from 1 accepted for the norm of an L2-normalised float32 embedding.
const NORM_TOLERANCE: f32 = 1e-5;

#[derive(serde::Deserialize)]
struct ExpectedIds {
    max_length: usize,
    pad_id: u32,
    vocab_size: usize,
    cases: Vec<Case>,
    /// Ids with `do_lower_case` false.
    cased_cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct Case {
    text: String,
    ids: Vec<u32>,
}

fn spiece_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/siglip-spiece")
}

fn expected_ids() -> ExpectedIds {
    let text = std::fs::read_to_string(spiece_dir().join("expected_ids.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// Copies the reference siglip-tiny weights with `tokenizer_files` from the spiece fixture into
/// a temporary checkpoint directory.
fn checkpoint_dir(tokenizer_files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in [CONFIG_FILE, WEIGHTS_FILE, PREPROCESSOR_FILE] {
        std::fs::copy(fixture_dir("siglip-tiny").join(name), dir.path().join(name)).unwrap();
    }
    for name in tokenizer_files {
        std::fs::copy(spiece_dir().join(name), dir.path().join(name)).unwrap();
    }
    dir
}

fn file_names(encoder: &SiglipEncoder) -> Vec<&str> {
    encoder.checkpoint.files.iter().map(|file| file.name.as_str()).collect()
}

#[test]
fn spiece_ids_match_transformers() {
    let expected = expected_ids();
    let tokenizer = TextTokenizer::from_spiece(
        &spiece_dir().join(SPIECE_FILE),
        Some(&spiece_dir().join(TOKENIZER_CONFIG_FILE)),
        expected.max_length,
        expected.pad_id,
    )
    .unwrap();

    for case in &expected.cases {
        let ids = tokenizer.encode(&[case.text.as_str()]).unwrap();
        assert_eq!(ids[0], case.ids, "ids of {:?}", case.text);
    }
}

#[test]
fn spiece_without_config_lowercases() {
    let expected = expected_ids();
    let tokenizer =
        TextTokenizer::from_spiece(&spiece_dir().join(SPIECE_FILE), None, expected.max_length, expected.pad_id).unwrap();
    let case = expected.cases.iter().find(|case| case.text == "Pick up the RED Mug!").unwrap();

    let ids = tokenizer.encode(&[case.text.as_str()]).unwrap();

    assert_eq!(ids[0], case.ids);
}

#[test]
fn spiece_keeps_case_when_configured() {
    let expected = expected_ids();
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join(TOKENIZER_CONFIG_FILE);
    // The object form of a special token, as transformers writes AddedToken values.
    let config = serde_json::json!({
        "do_lower_case": false,
        "eos_token": {"content": "</s>", "lstrip": true, "rstrip": true, "normalized": false, "special": true},
    });
    std::fs::write(&config_path, config.to_string()).unwrap();
    let tokenizer = TextTokenizer::from_spiece(
        &spiece_dir().join(SPIECE_FILE),
        Some(&config_path),
        expected.max_length,
        expected.pad_id,
    )
    .unwrap();

    for case in &expected.cased_cases {
        let ids = tokenizer.encode(&[case.text.as_str()]).unwrap();
        assert_eq!(ids[0], case.ids, "ids of {:?}", case.text);
    }
}

#[test]
fn spiece_rejects_unknown_eos_token() {
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join(TOKENIZER_CONFIG_FILE);
    std::fs::write(&config_path, r#"{"eos_token": "<eos>"}"#).unwrap();

    let error = TextTokenizer::from_spiece(&spiece_dir().join(SPIECE_FILE), Some(&config_path), 16, 1).unwrap_err();

    let message = error.to_string();
    assert!(message.contains("<eos>"), "{message}");
}

#[test]
fn spiece_rejects_a_non_sentencepiece_file() {
    let error = TextTokenizer::from_spiece(&fixture_dir("siglip-tiny").join(CONFIG_FILE), None, 16, 1).unwrap_err();

    let message = error.to_string();
    assert!(message.contains("spiece.model"), "{message}");
}

#[test]
fn siglip_loads_spiece_checkpoint() {
    let dir = checkpoint_dir(&[SPIECE_FILE, TOKENIZER_CONFIG_FILE]);
    let expected = expected_ids();

    let encoder = SiglipEncoder::load(dir.path().to_str().unwrap(), &Device::Cpu).unwrap();

    let names = file_names(&encoder);
    assert!(names.contains(&SPIECE_FILE), "{names:?}");
    assert!(names.contains(&TOKENIZER_CONFIG_FILE), "{names:?}");
    assert!(!names.contains(&TOKENIZER_FILE), "{names:?}");

    let texts: Vec<&str> = expected.cases.iter().map(|case| case.text.as_str()).collect();
    let embeds = encoder.text_embeds(&texts).unwrap();
    assert_eq!(embeds.dims(), [texts.len(), encoder.config.text_config.projection_size.unwrap()]);
    let norms: Vec<f32> = embeds.sqr().unwrap().sum(D::Minus1).unwrap().sqrt().unwrap().to_vec1().unwrap();
    for (text, norm) in texts.iter().zip(norms) {
        assert!((norm - 1.0).abs() < NORM_TOLERANCE, "norm of {text:?} is {norm}");
    }

    // The embeddings must come from the transformers ids, not only have the right shape.
    let ids: Vec<u32> = expected.cases.iter().flat_map(|case| case.ids.clone()).collect();
    let input_ids = Tensor::from_vec(ids, (texts.len(), expected.max_length), &Device::Cpu).unwrap();
    let pooled = encoder.model.text.forward(&input_ids).unwrap().pooler_output.unwrap();
    let reference = pooled.broadcast_div(&pooled.sqr().unwrap().sum_keepdim(D::Minus1).unwrap().sqrt().unwrap()).unwrap();
    assert_close("text_embeds", &embeds, &reference);
}

#[test]
fn siglip_prefers_tokenizer_json() {
    let dir = checkpoint_dir(&[SPIECE_FILE, TOKENIZER_CONFIG_FILE]);
    std::fs::copy(fixture_dir("siglip-tiny").join(TOKENIZER_FILE), dir.path().join(TOKENIZER_FILE)).unwrap();

    let encoder = SiglipEncoder::load(dir.path().to_str().unwrap(), &Device::Cpu).unwrap();

    let names = file_names(&encoder);
    assert!(names.contains(&TOKENIZER_FILE), "{names:?}");
    assert!(!names.contains(&SPIECE_FILE), "{names:?}");
}

#[test]
fn siglip_loads_spiece_without_tokenizer_config() {
    let dir = checkpoint_dir(&[SPIECE_FILE]);

    let encoder = SiglipEncoder::load(dir.path().to_str().unwrap(), &Device::Cpu).unwrap();

    assert!(!file_names(&encoder).contains(&TOKENIZER_CONFIG_FILE));
    assert!(encoder.text_embeds(&["pick up the red mug"]).is_ok());
}

#[test]
fn siglip_rejects_spiece_larger_than_vocab() {
    let dir = checkpoint_dir(&[SPIECE_FILE]);
    let config_path = dir.path().join(CONFIG_FILE);
    let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    let vocab_size = expected_ids().vocab_size - 1;
    config["text_config"]["vocab_size"] = vocab_size.into();
    std::fs::write(&config_path, config.to_string()).unwrap();

    let error = SiglipEncoder::load(dir.path().to_str().unwrap(), &Device::Cpu).unwrap_err();

    let message = error.to_string();
    assert!(message.contains(&format!("text_config.vocab_size is {vocab_size}")), "{message}");
}

#[test]
fn siglip_without_tokenizer_names_both_files() {
    let dir = checkpoint_dir(&[]);

    let error = SiglipEncoder::load(dir.path().to_str().unwrap(), &Device::Cpu).unwrap_err();

    let message = error.to_string();
    assert!(message.contains(TOKENIZER_FILE), "{message}");
    assert!(message.contains(SPIECE_FILE), "{message}");
}

/// Lays out `models--google--siglip-spiece-tiny` as huggingface_hub does, with the reference
/// weights and the spiece fixture but no tokenizer.json, and returns the snapshot folder.
fn lay_out_cache(cache: &Path) -> PathBuf {
    let repo = cache.join("models--google--siglip-spiece-tiny");
    let snapshot = repo.join("snapshots").join(COMMIT);
    std::fs::create_dir_all(repo.join("blobs")).unwrap();
    std::fs::create_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    let sources = [CONFIG_FILE, WEIGHTS_FILE, PREPROCESSOR_FILE]
        .map(|name| fixture_dir("siglip-tiny").join(name))
        .into_iter()
        .chain([SPIECE_FILE, TOKENIZER_CONFIG_FILE].map(|name| spiece_dir().join(name)));
    for source in sources {
        let blob = repo.join("blobs").join(sha256_file(&source).unwrap());
        std::fs::copy(&source, &blob).unwrap();
        std::os::unix::fs::symlink(&blob, snapshot.join(source.file_name().unwrap())).unwrap();
    }
    std::fs::write(repo.join("refs").join("main"), COMMIT).unwrap();
    snapshot
}

#[test]
fn offline_cache_resolves_spiece() {
    let cache = tempfile::tempdir().unwrap();
    let snapshot = lay_out_cache(cache.path());
    let spec = CheckpointSpec::Hub {
        repo_id: REPO_ID.to_owned(),
        revision: None,
    };
    let hub = HubSettings {
        cache_dir: cache.path().to_path_buf(),
        offline: true,
    };

    let checkpoint =
        Checkpoint::resolve_any_with(&spec, &[CONFIG_FILE, WEIGHTS_FILE, PREPROCESSOR_FILE], &SIGLIP_TOKENIZER_FILES, &hub)
            .unwrap();

    assert_eq!(checkpoint.revision.as_deref(), Some(COMMIT));
    assert_eq!(checkpoint.find_path(SPIECE_FILE), Some(snapshot.join(SPIECE_FILE).as_path()));
    assert_eq!(checkpoint.find_path(TOKENIZER_CONFIG_FILE), Some(snapshot.join(TOKENIZER_CONFIG_FILE).as_path()));
    assert_eq!(checkpoint.find_path(TOKENIZER_FILE), None);

    let encoder = SiglipEncoder::from_checkpoint(checkpoint, &Device::Cpu).unwrap();
    let case = &expected_ids().cases[0];
    assert_eq!(encoder.tokenizer.encode(&[case.text.as_str()]).unwrap()[0], case.ids);
}
