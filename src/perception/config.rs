//! Perception settings of a run, with the encoders loaded once and shared by every episode.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use candle_core::Device;
use image::RgbImage;

use super::encoders::{ClipEncoder, Dinov2Encoder, SiglipEncoder};
use super::language::{LossPolicy, Scoring, SelectTrack, exemplar_descriptor};
use super::select::{ClipScorer, DEFAULT_TEMPLATES, SiglipScorer, TextEmbeddingCache, validate_templates};
use super::track::{Dinov2Patches, PatchFeatureExtractor, TrackerSettings};
use super::{Perceiver, PerceiverKind, oracle, random};

/// Names accepted by `--perception`.
pub const PERCEPTION_NAMES: [&str; 6] = [
    "oracle",
    "random",
    "siglip+dinov2",
    "siglip-reselect",
    "clip+dinov2",
    "dinov2-exemplar",
];

/// Perception name with the loaded encoders and settings it needs.
#[derive(Debug, Clone)]
pub struct PerceptionConfig {
    pub name: String,
    pub siglip: Option<Arc<SiglipEncoder>>,
    pub dinov2: Option<Arc<Dinov2Encoder>>,
    pub clip: Option<Arc<ClipEncoder>>,
    /// Exemplar image of the target for `dinov2-exemplar`, with its file.
    pub exemplar: Option<(PathBuf, Arc<RgbImage>)>,
    /// Prompt templates with `{}` for the object phrase.
    pub templates: Vec<String>,
    pub loss_policy: LossPolicy,
    pub tracker: TrackerSettings,
    /// Text embeddings shared by every episode that uses this config.
    pub text_cache: Arc<TextEmbeddingCache>,
}

/// Checkpoint specs and options as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct PerceptionRequest {
    /// `None` picks [`PerceptionRequest::default_name`].
    pub name: Option<String>,
    pub siglip: Option<String>,
    pub dinov2: Option<String>,
    pub clip: Option<String>,
    pub exemplar: Option<PathBuf>,
    /// Empty means [`DEFAULT_TEMPLATES`].
    pub templates: Vec<String>,
    pub loss_policy: Option<LossPolicy>,
}

impl PerceptionRequest {
    /// Returns the perception to run when none is named: `siglip+dinov2` or `clip+dinov2` when their
    /// checkpoints are given, `dinov2-exemplar` with an exemplar, else `oracle`.
    pub fn default_name(&self) -> &'static str {
        match (&self.siglip, &self.clip, &self.dinov2, &self.exemplar) {
            (Some(_), _, Some(_), _) => "siglip+dinov2",
            (None, Some(_), Some(_), _) => "clip+dinov2",
            (None, None, Some(_), Some(_)) => "dinov2-exemplar",
            _ => "oracle",
        }
    }
}

impl PerceptionConfig {
    /// Creates a perception that needs no checkpoints (`oracle`, `random`) with default settings.
    pub fn named(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            siglip: None,
            dinov2: None,
            clip: None,
            exemplar: None,
            templates: DEFAULT_TEMPLATES.iter().map(|t| (*t).to_owned()).collect(),
            loss_policy: LossPolicy::Hold,
            tracker: TrackerSettings::default(),
            text_cache: Arc::default(),
        }
    }

    /// Resolves and loads the checkpoints `request` names, on the CPU.
    pub fn load(request: &PerceptionRequest) -> anyhow::Result<Self> {
        let name = request.name.clone().unwrap_or_else(|| request.default_name().to_owned());
        let mut config = Self::named(&name);
        if !request.templates.is_empty() {
            config.templates = request.templates.clone();
        }
        validate_templates(&config.templates)?;
        config.loss_policy = request.loss_policy.unwrap_or(LossPolicy::Hold);

        let device = Device::Cpu;
        let uses_siglip = matches!(name.as_str(), "siglip+dinov2" | "siglip-reselect");
        let uses_dinov2 = matches!(name.as_str(), "siglip+dinov2" | "clip+dinov2" | "dinov2-exemplar");
        let uses_clip = name == "clip+dinov2";
        let uses_exemplar = name == "dinov2-exemplar";
        let uses_prompts = uses_siglip || uses_clip;
        reject_unused(&name, "--siglip", request.siglip.is_some() && !uses_siglip)?;
        reject_unused(&name, "--dinov2", request.dinov2.is_some() && !uses_dinov2)?;
        reject_unused(&name, "--clip", request.clip.is_some() && !uses_clip)?;
        reject_unused(&name, "--exemplar", request.exemplar.is_some() && !uses_exemplar)?;
        reject_unused(&name, "--prompt", !request.templates.is_empty() && !uses_prompts)?;
        if uses_siglip {
            let spec = required(&request.siglip, &name, "--siglip")?;
            let encoder = SiglipEncoder::load(spec, &device).with_context(|| format!("cannot load --siglip {spec}"))?;
            config.siglip = Some(Arc::new(encoder));
        }
        if uses_clip {
            let spec = required(&request.clip, &name, "--clip")?;
            let encoder = ClipEncoder::load(spec, &device).with_context(|| format!("cannot load --clip {spec}"))?;
            config.clip = Some(Arc::new(encoder));
        }
        if uses_dinov2 {
            let spec = required(&request.dinov2, &name, "--dinov2")?;
            let encoder = Dinov2Encoder::load(spec, &device).with_context(|| format!("cannot load --dinov2 {spec}"))?;
            config.dinov2 = Some(Arc::new(encoder));
        }
        if uses_exemplar {
            let path = required(&request.exemplar, &name, "--exemplar")?;
            let image = image::open(path)
                .with_context(|| format!("cannot read --exemplar {}; pass a PNG of the target", path.display()))?
                .to_rgb8();
            config.exemplar = Some((path.clone(), Arc::new(image)));
        }
        Ok(config)
    }
}

fn required<'a, T>(value: &'a Option<T>, name: &str, flag: &str) -> anyhow::Result<&'a T> {
    let what = if flag == "--exemplar" {
        "a PNG image of the target"
    } else {
        "a checkpoint directory or hub id ORG/NAME[@REVISION]"
    };
    value
        .as_ref()
        .with_context(|| format!("perception {name} needs {flag}; pass {what}"))
}

/// Rejects a flag that the chosen perception would ignore, so that a run never silently falls
/// back to another perception than the one the flags suggest.
fn reject_unused(name: &str, flag: &str, unused: bool) -> anyhow::Result<()> {
    if unused {
        bail!(
            "{flag} is not used by perception {name}; choose a perception that uses it with \
             --perception (siglip+dinov2, siglip-reselect, clip+dinov2, dinov2-exemplar) or drop {flag}"
        );
    }
    Ok(())
}

fn dinov2_tracker(config: &PerceptionConfig) -> anyhow::Result<Box<dyn PatchFeatureExtractor>> {
    let encoder = config
        .dinov2
        .clone()
        .with_context(|| format!("perception {} needs a DINOv2 checkpoint; pass --dinov2", config.name))?;
    Ok(Box::new(Dinov2Patches::new(encoder)))
}

fn siglip_scoring(config: &PerceptionConfig) -> anyhow::Result<Scoring> {
    let encoder = config
        .siglip
        .clone()
        .with_context(|| format!("perception {} needs a SigLIP checkpoint; pass --siglip", config.name))?;
    Ok(Scoring::Language(Box::new(SiglipScorer::new(encoder, config.text_cache.clone()))))
}

/// Builds the perception `config` names for one episode; `seed` drives any randomness.
pub fn build_perceiver(config: &PerceptionConfig, seed: u64) -> anyhow::Result<Perceiver> {
    let name = config.name.clone();
    let select_track = |scoring: Scoring, extractor: Option<Box<dyn PatchFeatureExtractor>>| {
        let perception = SelectTrack::new(scoring, extractor, config.templates.clone(), config.tracker, config.loss_policy);
        Perceiver {
            name: name.clone(),
            config: perception.record(),
            kind: PerceiverKind::Sensor(Box::new(perception)),
        }
    };
    let perceiver = match name.as_str() {
        "oracle" => Perceiver {
            name: name.clone(),
            config: serde_json::json!({ "reads": "ground-truth target pose" }),
            kind: PerceiverKind::Privileged(Box::new(oracle::Oracle)),
        },
        "random" => {
            let perception = random::RandomProposal::new(seed);
            Perceiver {
                name: name.clone(),
                config: serde_json::to_value(perception.settings())?,
                kind: PerceiverKind::Sensor(Box::new(perception)),
            }
        }
        "siglip+dinov2" => select_track(siglip_scoring(config)?, Some(dinov2_tracker(config)?)),
        "siglip-reselect" => select_track(siglip_scoring(config)?, None),
        "clip+dinov2" => {
            let encoder = config.clip.clone().context("perception clip+dinov2 needs a CLIP checkpoint; pass --clip")?;
            let scorer = ClipScorer::new(encoder, config.text_cache.clone());
            select_track(Scoring::Language(Box::new(scorer)), Some(dinov2_tracker(config)?))
        }
        "dinov2-exemplar" => {
            let (path, image) = config
                .exemplar
                .clone()
                .context("perception dinov2-exemplar needs an exemplar image; pass --exemplar PNG")?;
            let mut extractor = dinov2_tracker(config)?;
            let descriptor = exemplar_descriptor(extractor.as_mut(), &image)?;
            let mut perceiver = select_track(Scoring::Exemplar(descriptor), Some(extractor));
            perceiver.config["exemplar"] = serde_json::json!(path);
            perceiver
        }
        other => bail!("unknown perception {other:?}; choose one of: {}", PERCEPTION_NAMES.join(", ")),
    };
    Ok(perceiver)
}
