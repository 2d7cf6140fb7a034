//! Activation names as Hugging Face `config.json` files spell them.
//!
//! candle-nn's `Activation` reads the Hugging Face spellings through serde aliases but writes
//! its own lowercase variant names ("gelupytorchtanh"), which transformers rejects.

use candle_nn::Activation;
use serde::Serializer;

/// Serialises `activation` under its transformers name (`hidden_act`).
pub fn serialize_hf_activation<S: Serializer>(activation: &Activation, serializer: S) -> Result<S::Ok, S::Error> {
    let name = match activation {
        Activation::Gelu => "gelu",
        Activation::NewGelu => "gelu_new",
        Activation::GeluPytorchTanh => "gelu_pytorch_tanh",
        Activation::Relu => "relu",
        Activation::Silu => "silu",
        Activation::Swiglu => "swiglu",
        Activation::Sigmoid => "sigmoid",
        other => {
            return Err(serde::ser::Error::custom(format!(
                "activation {other:?} has no transformers name that pickloop writes"
            )));
        }
    };
    serializer.serialize_str(name)
}
