//! Floating-point operations per image of the vision encoders, computed from their configs.
//!
//! Only matrix products are counted: the patch-embedding convolution, the linear layers, the
//! attention scores and the attention-weighted sum. A multiply-accumulate counts as two
//! operations. Layer norms, activations, softmax and residual additions are left out; they
//! scale with `tokens * hidden` instead of `tokens * hidden^2`, so by estimate they add a few
//! percent.

use super::dinov2;
use super::siglip;

/// Floating-point operations per multiply-accumulate.
const FLOPS_PER_MAC: f64 = 2.0;

/// Query, key, value and output projections of one attention block.
const ATTENTION_PROJECTIONS: f64 = 4.0;

/// Matrix products of attention: the scores `Q K^T` and the weighted sum `softmax(...) V`.
const ATTENTION_PRODUCTS: f64 = 2.0;

/// Projections of the SwiGLU feed-forward block: gate, up and down.
const SWIGLU_PROJECTIONS: f64 = 3.0;

/// Projections of a plain feed-forward block: up and down.
const MLP_PROJECTIONS: f64 = 2.0;

/// FLOPs of one `[rows, inner] x [inner, columns]` product.
fn matmul_flops(rows: usize, inner: usize, columns: usize) -> f64 {
    FLOPS_PER_MAC * rows as f64 * inner as f64 * columns as f64
}

/// FLOPs of the patch-embedding convolution: one `[patches, channels * patch^2] x
/// [channels * patch^2, hidden]` product.
pub fn patch_embedding_flops(patches: usize, channels: usize, patch_size: usize, hidden: usize) -> f64 {
    matmul_flops(patches, channels * patch_size * patch_size, hidden)
}

/// FLOPs of `layers` pre-norm transformer blocks over `tokens` tokens, with feed-forward
/// width `mlp_width` and `mlp_projections` feed-forward matrices.
pub fn encoder_flops(tokens: usize, hidden: usize, mlp_width: usize, mlp_projections: f64, layers: usize) -> f64 {
    let projections = ATTENTION_PROJECTIONS * matmul_flops(tokens, hidden, hidden);
    let attention = ATTENTION_PRODUCTS * matmul_flops(tokens, hidden, tokens);
    let feed_forward = mlp_projections * matmul_flops(tokens, hidden, mlp_width);
    layers as f64 * (projections + attention + feed_forward)
}

/// FLOPs per image of the SigLIP vision tower at `image_size` x `image_size` pixels, with the
/// attention-pooling head when the config has one.
pub fn siglip_vision_flops(config: &siglip::VisionConfig, image_size: usize) -> f64 {
    let hidden = config.hidden_size;
    let patches = (image_size / config.patch_size).pow(2);
    let mut flops = patch_embedding_flops(patches, config.num_channels, config.patch_size, hidden)
        + encoder_flops(patches, hidden, config.intermediate_size, MLP_PROJECTIONS, config.num_hidden_layers);
    if config.vision_use_head {
        // One probe token attends over the patches: its query and output projections, the key
        // and value projections of every patch, then the head's feed-forward block.
        let probe_projections = 2.0 * matmul_flops(1, hidden, hidden);
        let key_value_projections = 2.0 * matmul_flops(patches, hidden, hidden);
        let attention = ATTENTION_PRODUCTS * matmul_flops(1, hidden, patches);
        let feed_forward = MLP_PROJECTIONS * matmul_flops(1, hidden, config.intermediate_size);
        flops += probe_projections + key_value_projections + attention + feed_forward;
    }
    flops
}

/// FLOPs per image of the DINOv2 backbone at `image_size` x `image_size` pixels: the patches
/// plus the class token.
pub fn dinov2_flops(config: &dinov2::Config, image_size: usize) -> f64 {
    let patches = (image_size / config.patch_size).pow(2);
    let projections = if config.use_swiglu_ffn {
        SWIGLU_PROJECTIONS
    } else {
        MLP_PROJECTIONS
    };
    patch_embedding_flops(patches, config.num_channels, config.patch_size, config.hidden_size)
        + encoder_flops(
            patches + 1,
            config.hidden_size,
            config.mlp_hidden_size(),
            projections,
            config.num_hidden_layers,
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siglip_base_hand_count() {
        // By hand, in GFLOPs: patch embedding 196*768*768*2 = 0.231, 12 layers of
        // 2*196*(4*768^2 + 2*196*768 + 2*768*3072) = 34.710, pooling head 0.475.
        let flops = siglip_vision_flops(&siglip::VisionConfig::default(), 224);

        assert!((flops / 1e9 - 35.416).abs() < 0.005, "{flops:e}");
    }

    #[test]
    fn encoder_flops_hand_count() {
        // 1 layer, 2 tokens, hidden 3, MLP 4: projections 4*2*3*3, attention 2*2*3*2,
        // feed-forward 2*2*3*4 multiply-accumulates.
        let flops = encoder_flops(2, 3, 4, MLP_PROJECTIONS, 1);

        assert_eq!(flops, 2.0 * (72.0 + 24.0 + 48.0));
    }

    #[test]
    fn dinov2_counts_class_token() {
        let config = dinov2::Config {
            hidden_size: 384,
            num_attention_heads: 6,
            ..Default::default()
        };
        let with_class = dinov2_flops(&config, 224);
        let patches = 16 * 16;
        let without_class = patch_embedding_flops(patches, 3, 14, 384)
            + encoder_flops(patches, 384, 4 * 384, MLP_PROJECTIONS, 12);

        assert!(with_class > without_class);
        // By hand: 256*588*384*2 + 12*2*257*(4*384^2 + 2*257*384 + 2*384*1536) = 12.247e9.
        assert!((with_class / 1e9 - 12.247).abs() < 0.005, "{with_class:e}");
    }
}
