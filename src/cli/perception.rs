//! Perception options shared by `run` and `watch`.

use std::path::PathBuf;

use clap::Args;

use pickloop::perception::PERCEPTION_NAMES;
use pickloop::perception::config::{PerceptionConfig, PerceptionRequest};
use pickloop::perception::language::LossPolicy;

#[derive(Debug, Clone, Args)]
pub struct PerceptionArgs {
    /// Perception that selects and tracks the target. Defaults to siglip+dinov2 when
    /// --siglip and --dinov2 are given, clip+dinov2 with --clip and --dinov2,
    /// dinov2-exemplar with --dinov2 and --exemplar, and oracle otherwise.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(PERCEPTION_NAMES))]
    pub perception: Option<String>,
    /// SigLIP checkpoint: a local directory or a hub id ORG/NAME[@REVISION] (read from the
    /// Hugging Face cache; set HF_HUB_OFFLINE=1 to never download).
    #[arg(long, value_name = "DIR|ID")]
    pub siglip: Option<String>,
    /// DINOv2 checkpoint: a local directory or a hub id ORG/NAME[@REVISION].
    #[arg(long, value_name = "DIR|ID")]
    pub dinov2: Option<String>,
    /// CLIP checkpoint: a local directory or a hub id ORG/NAME[@REVISION].
    #[arg(long, value_name = "DIR|ID")]
    pub clip: Option<String>,
    /// Image of the target for dinov2-exemplar (PNG).
    #[arg(long, value_name = "PNG")]
    pub exemplar: Option<PathBuf>,
    /// Prompt template with {} for the instruction's object phrase; repeat for an ensemble.
    /// Defaults to "{}" and "a photo of {}".
    #[arg(long = "prompt", value_name = "TEMPLATE")]
    pub prompts: Vec<String>,
    /// Policy when tracking loses the target: hold the last estimate or select again.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub on_loss: Option<LossPolicy>,
}

impl PerceptionArgs {
    /// Loads the checkpoints once for every episode of the command.
    pub fn load(&self) -> anyhow::Result<PerceptionConfig> {
        PerceptionConfig::load(&PerceptionRequest {
            name: self.perception.clone(),
            siglip: self.siglip.clone(),
            dinov2: self.dinov2.clone(),
            clip: self.clip.clone(),
            exemplar: self.exemplar.clone(),
            templates: self.prompts.clone(),
            loss_policy: self.on_loss,
        })
    }
}
