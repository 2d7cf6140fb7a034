//! `pickloop embed`: embeddings and patch tokens of images and texts, written to a file.

use std::path::PathBuf;
use std::process::ExitCode;

use candle_core::Device;
use clap::Args;

use pickloop::perception::encoders::embed::{EmbedInputs, embed};
use pickloop::perception::encoders::export::{OutputFormat, write_tensors};

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("inputs").required(true).multiple(true).args(["image", "text"]))]
pub struct EmbedArgs {
    /// Checkpoint directory, or hub id `ORG/NAME[@REVISION]` read from the Hugging Face cache.
    /// The model type (siglip, dinov2 or clip) comes from its config.json.
    #[arg(long, value_name = "ID_OR_DIR")]
    pub model: String,
    /// Images to embed (PNG), one output row each, in order.
    #[arg(long, value_name = "PNG", num_args = 1..)]
    pub image: Vec<PathBuf>,
    /// Texts to embed (SigLIP and CLIP only), one output row each, in order.
    #[arg(long, value_name = "TEXT", num_args = 1..)]
    pub text: Vec<String>,
    /// Output file: `.safetensors` (all tensors, metadata in the header) or `.npy` (one
    /// `STEM.NAME.npy` per tensor and `STEM.json` with the metadata).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

pub fn run_embed(args: &EmbedArgs) -> anyhow::Result<ExitCode> {
    let inputs = EmbedInputs {
        images: args.image.clone(),
        texts: args.text.clone(),
    };
    // Check the extension before loading a model, so a typo fails fast.
    OutputFormat::from_path(&args.out)?;
    let embeddings = embed(&args.model, &inputs, &Device::Cpu)?;
    let paths = write_tensors(&args.out, &embeddings.tensors, &embeddings.metadata)?;

    for (name, tensor) in &embeddings.tensors {
        println!("{name} {:?}", tensor.dims());
    }
    for path in paths {
        println!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}
