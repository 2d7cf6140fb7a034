//! Building blocks shared by the vision transformers: multi-head attention, layer norm, L2
//! normalisation and bicubic resizing of position-embedding grids.
//!
//! Training runs the same modules on candle's autograd. candle-nn 0.11's fused
//! `softmax_last_dim` and `layer_norm` kernels have no backward pass, so [`softmax`] and
//! [`LayerNorm`] switch to compositions of differentiable tensor ops whenever their input
//! tracks gradients (`Tensor::track_op`), and use the fused kernels otherwise.

use candle_core::{D, DType, Device, Module, Result, Tensor};
use candle_nn::{Conv2d, Linear, VarBuilder};

/// Softmax over the last dimension: the fused kernel at inference, and max-shifted
/// `exp / sum` (with the shift detached, which does not change the result) when `xs` tracks
/// gradients.
pub fn softmax(xs: &Tensor) -> Result<Tensor> {
    if !xs.track_op() {
        return candle_nn::ops::softmax_last_dim(xs);
    }
    let shifted = xs.broadcast_sub(&xs.max_keepdim(D::Minus1)?.detach())?;
    let exp = shifted.exp()?;
    exp.broadcast_div(&exp.sum_keepdim(D::Minus1)?)
}

/// Embeds non-overlapping `patch` x `patch` patches of `pixel_values` `[batch, channels,
/// height, width]` with `projection`, a convolution whose stride is its kernel size, and
/// returns `[batch, patches, hidden]` in row-major patch order.
///
/// When the weights track gradients the same map runs as patch unfolding and one matrix
/// product: candle's conv2d backward also computes a gradient for the pixels, through a slow
/// transposed convolution, although pixels are never trained.
pub fn embed_patches(pixel_values: &Tensor, projection: &Conv2d, patch: usize) -> Result<Tensor> {
    let weight = projection.weight();
    if !weight.track_op() {
        return pixel_values.apply(projection)?.flatten_from(2)?.transpose(1, 2);
    }
    let (batch, channels, height, width) = pixel_values.dims4()?;
    let (rows, columns) = (height / patch, width / patch);
    let hidden = weight.dim(0)?;
    let patches = pixel_values
        .reshape((batch, channels, rows, patch, columns, patch))?
        .permute((0, 2, 4, 1, 3, 5))?
        .contiguous()?
        .reshape((batch * rows * columns, channels * patch * patch))?;
    let embedded = patches.matmul(&weight.reshape((hidden, channels * patch * patch))?.t()?)?;
    let embedded = match projection.bias() {
        Some(bias) => embedded.broadcast_add(bias)?,
        None => embedded,
    };
    embedded.reshape((batch, rows * columns, hidden))
}

/// Layer normalisation over the last dimension with a learned scale and shift, as
/// `torch.nn.LayerNorm`.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f64,
    fused: candle_nn::LayerNorm,
}

impl LayerNorm {
    pub fn new(weight: Tensor, bias: Tensor, eps: f64) -> Self {
        let fused = candle_nn::LayerNorm::new(weight.clone(), bias.clone(), eps);
        Self {
            weight,
            bias,
            eps,
            fused,
        }
    }
}

impl Module for LayerNorm {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        if !xs.track_op() && !self.weight.track_op() {
            return self.fused.forward(xs);
        }
        let centred = xs.broadcast_sub(&xs.mean_keepdim(D::Minus1)?)?;
        let variance = centred.sqr()?.mean_keepdim(D::Minus1)?;
        centred
            .broadcast_div(&(variance + self.eps)?.sqrt()?)?
            .broadcast_mul(&self.weight)?
            .broadcast_add(&self.bias)
    }
}

/// Reads a layer norm's `weight` (initialised to ones) and `bias` (zeros) of width `size`.
pub fn layer_norm(size: usize, eps: f64, vb: VarBuilder) -> Result<LayerNorm> {
    let weight = vb.get_with_hints(size, "weight", candle_nn::Init::Const(1.0))?;
    let bias = vb.get_with_hints(size, "bias", candle_nn::Init::Const(0.0))?;
    Ok(LayerNorm::new(weight, bias, eps))
}

/// Multi-head scaled dot-product attention without a mask, with separate query, key, value
/// and output projections.
#[derive(Debug, Clone)]
pub struct MultiHeadAttention {
    query: Linear,
    key: Linear,
    value: Linear,
    output: Linear,
    num_heads: usize,
    head_dim: usize,
}

impl MultiHeadAttention {
    pub fn new(query: Linear, key: Linear, value: Linear, output: Linear, num_heads: usize, hidden_size: usize) -> Self {
        Self {
            query,
            key,
            value,
            output,
            num_heads,
            head_dim: hidden_size / num_heads,
        }
    }

    /// Splits `[batch, tokens, hidden]` into `[batch, heads, tokens, head_dim]`.
    fn split_heads(&self, xs: &Tensor) -> Result<Tensor> {
        let (batch, tokens, _) = xs.dims3()?;
        xs.reshape((batch, tokens, self.num_heads, self.head_dim))?
            .transpose(1, 2)?
            .contiguous()
    }

    /// Attends from `queries` `[batch, q_tokens, hidden]` to `keys_values`
    /// `[batch, kv_tokens, hidden]`.
    pub fn forward_cross(&self, queries: &Tensor, keys_values: &Tensor) -> Result<Tensor> {
        let (batch, query_tokens, _) = queries.dims3()?;
        let query = self.split_heads(&queries.apply(&self.query)?)?;
        let key = self.split_heads(&keys_values.apply(&self.key)?)?;
        let value = self.split_heads(&keys_values.apply(&self.value)?)?;

        let scale = (self.head_dim as f64).powf(-0.5);
        let scores = (query.matmul(&key.t()?)? * scale)?;
        let weights = softmax(&scores)?;
        weights
            .matmul(&value)?
            .transpose(1, 2)?
            .reshape((batch, query_tokens, self.num_heads * self.head_dim))?
            .apply(&self.output)
    }
}

impl Module for MultiHeadAttention {
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.forward_cross(xs, xs)
    }
}

/// Divides each row (last dimension) by its L2 norm.
pub fn l2_normalize(xs: &Tensor) -> Result<Tensor> {
    let norm = xs.sqr()?.sum_keepdim(D::Minus1)?.sqrt()?;
    xs.broadcast_div(&norm)
}

/// Coefficient of PyTorch's bicubic interpolation (`upsample_bicubic2d`); Pillow uses -0.5.
const TORCH_CUBIC_A: f64 = -0.75;

/// Computes the four cubic-convolution weights for a sample at fraction `t` past a grid point,
/// as PyTorch's `get_cubic_upsample_coefficients` does.
fn cubic_weights(t: f64) -> [f64; 4] {
    let near = |x: f64| ((TORCH_CUBIC_A + 2.0) * x - (TORCH_CUBIC_A + 3.0)) * x * x + 1.0;
    let far = |x: f64| ((TORCH_CUBIC_A * x - 5.0 * TORCH_CUBIC_A) * x + 8.0 * TORCH_CUBIC_A) * x - 4.0 * TORCH_CUBIC_A;
    [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)]
}

/// First source index and weights of each output position along one axis, for
/// `align_corners=False` with the scale `in_size / out_size`.
fn cubic_taps(in_size: usize, out_size: usize) -> Vec<(i64, [f64; 4])> {
    let scale = in_size as f64 / out_size as f64;
    (0..out_size)
        .map(|index| {
            let source = (index as f64 + 0.5) * scale - 0.5;
            let floor = source.floor();
            (floor as i64 - 1, cubic_weights(source - floor))
        })
        .collect()
}

/// Resizes a row-major grid of embeddings `[height * width, dim]` to `[new_height * new_width,
/// dim]` like `torch.nn.functional.interpolate(mode="bicubic", align_corners=False)` with an
/// explicit output size: no antialiasing, and indices past the border clamped to the edge.
///
/// The resize is a fixed linear map, applied as one matrix product, so gradients flow back
/// to the trained grid when a model trains at several input sizes.
pub fn interpolate_bicubic(
    grid: &Tensor,
    (height, width): (usize, usize),
    (new_height, new_width): (usize, usize),
) -> Result<Tensor> {
    let (positions, _) = grid.dims2()?;
    if positions != height * width {
        candle_core::bail!("position grid has {positions} rows, expected {height}x{width}");
    }
    let rows = cubic_taps(height, new_height);
    let columns = cubic_taps(width, new_width);
    let clamp = |index: i64, size: usize| index.clamp(0, size as i64 - 1) as usize;

    let mut matrix = vec![0f64; new_height * new_width * positions];
    for (out_y, (first_row, row_weights)) in rows.iter().enumerate() {
        for (out_x, (first_column, column_weights)) in columns.iter().enumerate() {
            let target = &mut matrix[(out_y * new_width + out_x) * positions..][..positions];
            for (i, row_weight) in row_weights.iter().enumerate() {
                let y = clamp(first_row + i as i64, height);
                for (j, column_weight) in column_weights.iter().enumerate() {
                    let x = clamp(first_column + j as i64, width);
                    target[y * width + x] += row_weight * column_weight;
                }
            }
        }
    }
    Tensor::from_vec(matrix, (new_height * new_width, positions), &Device::Cpu)?
        .to_dtype(DType::F32)?
        .to_device(grid.device())?
        .to_dtype(grid.dtype())?
        .matmul(grid)
}
