//! Backward passes of the training paths (composed softmax and layer norm, patch unfolding,
//! position resizing by matrix product) against finite differences of the loss.

use candle_core::{DType, Device, Tensor};
use pickloop::perception::encoders::dinov2::Dinov2Model;
use pickloop::perception::encoders::siglip::SiglipModel;
use pickloop::train::dinov2::{Dinov2Architecture, sim_config as dinov2_config};
use pickloop::train::seeded::{InitScheme, SeededVars};
use pickloop::train::siglip::{SiglipArchitecture, sigmoid_loss, sim_config as siglip_config};

/// Step along the normalised gradient, in parameter units.
const STEP: f64 = 1e-2;
/// Largest relative difference accepted between the gradient norm and the finite-difference
/// slope along the gradient.
const TOLERANCE: f64 = 0.05;
/// Gradient norms below this are too small for a float32 finite difference to resolve.
const MIN_CHECKED_NORM: f64 = 1e-2;

/// Seeded normal noise of `shape`, so that every run checks the same inputs.
fn noise(shape: &[usize], seed: u64) -> Tensor {
    use rand::SeedableRng;
    use rand_distr::Distribution;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let normal = rand_distr::StandardNormal;
    let values: Vec<f32> = (0..shape.iter().product()).map(|_| normal.sample(&mut rng)).collect();
    Tensor::from_vec(values, shape, &Device::Cpu).unwrap()
}

/// Checks, for every variable, that the loss changes along the variable's gradient direction
/// at a rate equal to the gradient norm.
fn check_gradients(vars: &SeededVars, loss: &dyn Fn() -> Tensor) {
    let grads = loss().backward().unwrap();
    let mut checked = 0;
    let all = vars.sorted();
    for (name, var) in &all {
        let Some(grad) = grads.get(var.as_tensor()) else { continue };
        let norm = f64::from(grad.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap()).sqrt();
        if norm < MIN_CHECKED_NORM {
            continue;
        }
        let original = var.as_tensor().copy().unwrap();
        let step = (grad * (STEP / norm)).unwrap();
        var.set(&(&original + &step).unwrap()).unwrap();
        let forward = f64::from(loss().to_scalar::<f32>().unwrap());
        var.set(&(&original - &step).unwrap()).unwrap();
        let backward = f64::from(loss().to_scalar::<f32>().unwrap());
        var.set(&original).unwrap();
        // Central difference: its error shrinks with the square of the step, so curvature of
        // the loss does not masquerade as a wrong gradient.
        let slope = (forward - backward) / (2.0 * STEP);
        assert!(
            (slope - norm).abs() <= TOLERANCE * norm,
            "{name}: gradient norm {norm}, finite-difference slope {slope}"
        );
        checked += 1;
    }
    assert!(2 * checked >= all.len(), "only {checked} of {} variables had a gradient to check", all.len());
}

#[test]
fn siglip_gradients_match_finite_differences() {
    let device = Device::Cpu;
    let architecture = SiglipArchitecture {
        hidden_size: 32,
        intermediate_size: 64,
        num_attention_heads: 2,
        vision_layers: 1,
        text_layers: 1,
        image_size: 32,
        patch_size: 8,
        max_tokens: 8,
    };
    let vars = SeededVars::new(3, InitScheme::Siglip);
    let model = SiglipModel::new(&siglip_config(&architecture, 20), vars.var_builder(&device)).unwrap();
    let batch = 4;
    let pixels = noise(&[batch, 3, 32, 32], 1);
    let ids: Vec<u32> = (0..batch as u32).flat_map(|i| [3 + i, 1, 0, 0, 0, 0, 0, 0]).collect();
    let ids = Tensor::from_vec(ids, (batch, 8), &device).unwrap();
    let labels = ((Tensor::eye(batch, DType::F32, &device).unwrap() * 2.0).unwrap() - 1.0).unwrap();
    check_gradients(&vars, &|| {
        let output = model.forward(&pixels, &ids).unwrap();
        sigmoid_loss(&output.logits_per_image, &labels).unwrap()
    });
}

#[test]
fn dinov2_gradients_match_finite_differences() {
    let device = Device::Cpu;
    let architecture = Dinov2Architecture {
        hidden_size: 32,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        image_size: 32,
        patch_size: 8,
    };
    let vars = SeededVars::new(3, InitScheme::Dinov2);
    let model = Dinov2Model::new(&dinov2_config(&architecture), vars.var_builder(&device)).unwrap();
    // 24 px is off the trained 32 px grid, so the resized position embeddings are exercised.
    let pixels = noise(&[2, 3, 24, 24], 2);
    let target = noise(&[2, 10, 32], 3);
    check_gradients(&vars, &|| {
        let hidden = model.forward(&pixels).unwrap().last_hidden_state;
        (hidden - &target).unwrap().sqr().unwrap().mean_all().unwrap()
    });
}
