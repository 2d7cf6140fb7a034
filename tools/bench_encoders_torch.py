#!/usr/bin/env python3
"""PyTorch counterpart of `pickloop bench encoders`: per-image CPU latency of the same encoder
configs with random weights, and torch's float32 1024^3 matmul GFLOP/s, in the same table.

Usage: python3 tools/bench_encoders_torch.py [--model NAME,...] [--batch 1,8] [--repetitions 3] [--threads N]

Needs torch and transformers (pip install torch transformers). Not part of CI. The thread count
defaults to RAYON_NUM_THREADS, else the number of CPUs, which is what candle uses, so both
benchmarks run with the same threads when started from the same shell.
"""

import argparse
import os
import time

import torch
from transformers import Dinov2Config, Dinov2Model, SiglipVisionConfig, SiglipVisionModel

IMAGE_SIZE = 224
CHANNELS = 3
MATMUL_SIZE = 1024
MATMUL_WARM_UP = 2
FLOPS_PER_MAC = 2
# image_size of facebook/dinov2-small's config.json: a 37x37 grid of position embeddings that
# is resized to the 16x16 grid of a 224 px input, as in the candle benchmark.
DINOV2_TRAINED_IMAGE_SIZE = 518
# transformers' default attention for these models; "eager" is the plain matmul path.
ATTENTION = "sdpa"


def matmul_flops(rows, inner, columns):
    return FLOPS_PER_MAC * rows * inner * columns


def encoder_flops(tokens, hidden, mlp_width, mlp_projections, layers):
    """Matrix-product FLOPs of transformer blocks, counted as in src/perception/encoders/cost.rs."""
    projections = 4 * matmul_flops(tokens, hidden, hidden)
    attention = 2 * matmul_flops(tokens, hidden, tokens)
    feed_forward = mlp_projections * matmul_flops(tokens, hidden, mlp_width)
    return layers * (projections + attention + feed_forward)


def siglip_flops(config):
    hidden = config.hidden_size
    patches = (IMAGE_SIZE // config.patch_size) ** 2
    flops = matmul_flops(patches, CHANNELS * config.patch_size**2, hidden)
    flops += encoder_flops(patches, hidden, config.intermediate_size, 2, config.num_hidden_layers)
    # Attention-pooling head: one probe token over the patches, then the head's MLP.
    flops += 2 * matmul_flops(1, hidden, hidden) + 2 * matmul_flops(patches, hidden, hidden)
    flops += 2 * matmul_flops(1, hidden, patches) + 2 * matmul_flops(1, hidden, config.intermediate_size)
    return flops


def dinov2_flops(config):
    patches = (IMAGE_SIZE // config.patch_size) ** 2
    mlp_width = int(config.hidden_size * config.mlp_ratio)
    flops = matmul_flops(patches, CHANNELS * config.patch_size**2, config.hidden_size)
    return flops + encoder_flops(patches + 1, config.hidden_size, mlp_width, 2, config.num_hidden_layers)


MODEL_NAMES = ("siglip-base-patch16-224", "dinov2-small")


def models(names):
    siglip = SiglipVisionConfig(
        hidden_size=768,
        intermediate_size=3072,
        num_hidden_layers=12,
        num_attention_heads=12,
        patch_size=16,
        image_size=IMAGE_SIZE,
        attn_implementation=ATTENTION,
    )
    dinov2 = Dinov2Config(
        hidden_size=384,
        num_hidden_layers=12,
        num_attention_heads=6,
        mlp_ratio=4,
        patch_size=14,
        image_size=DINOV2_TRAINED_IMAGE_SIZE,
        attn_implementation=ATTENTION,
    )
    if "siglip-base-patch16-224" in names:
        yield "siglip-base-patch16-224", SiglipVisionModel(siglip), siglip_flops(siglip)
    if "dinov2-small" in names:
        yield "dinov2-small", Dinov2Model(dinov2), dinov2_flops(dinov2)


def time_runs(repetitions, operation):
    """Return the mean and the best wall-clock seconds of `repetitions` runs of `operation`."""
    seconds = []
    for _ in range(repetitions):
        started = time.perf_counter()
        operation()
        seconds.append(time.perf_counter() - started)
    return sum(seconds) / len(seconds), min(seconds)


def matmul_gflops(repetitions):
    """Return float32 matmul GFLOP/s from the fastest and from the mean run."""
    lhs = torch.randn(MATMUL_SIZE, MATMUL_SIZE)
    rhs = torch.randn(MATMUL_SIZE, MATMUL_SIZE)
    for _ in range(MATMUL_WARM_UP):
        lhs @ rhs
    mean, best = time_runs(repetitions, lambda: lhs @ rhs)
    gflops = FLOPS_PER_MAC * MATMUL_SIZE**3 / 1e9
    return gflops / best, gflops / mean


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not positive; pass 1 or more")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=",".join(MODEL_NAMES), help="models, comma-separated (default: both)")
    parser.add_argument("--batch", default="1,8", help="batch sizes, comma-separated (default 1,8)")
    parser.add_argument("--repetitions", type=positive_int, default=3, help="timed forward passes per row")
    parser.add_argument("--warm-up", type=int, default=1, help="untimed forward passes per row")
    parser.add_argument("--matmul-repetitions", type=positive_int, default=20, help="timed 1024^3 matmuls")
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=int(os.environ.get("RAYON_NUM_THREADS") or os.cpu_count()),
        help="torch intra-op threads (default: RAYON_NUM_THREADS, else the CPU count)",
    )
    args = parser.parse_args()
    batches = [positive_int(batch) for batch in args.batch.split(",")]
    names = args.model.split(",")
    unknown = sorted(set(names) - set(MODEL_NAMES))
    if unknown:
        parser.error(f"unknown --model {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}")

    torch.manual_seed(0)
    torch.set_num_threads(args.threads)
    print(f"threads: {torch.get_num_threads()} (torch {torch.__version__}, attention {ATTENTION})")
    peak, mean_gflops = matmul_gflops(args.matmul_repetitions)
    print(
        f"matmul: f32 {MATMUL_SIZE}x{MATMUL_SIZE}x{MATMUL_SIZE}, {args.matmul_repetitions} runs: "
        f"{peak:.1f} GFLOP/s best, {mean_gflops:.1f} mean"
    )
    print(
        f"encoders: random weights, {IMAGE_SIZE}x{IMAGE_SIZE} inputs, "
        f"{args.warm_up} warm-up and {args.repetitions} timed runs per row"
    )
    print(
        "GFLOP/s and achieved/peak use the fastest run and the best matmul GFLOP/s, "
        "which other load disturbs least"
    )
    print()
    print("| model | batch | ms/image mean | ms/image best | GFLOP/image | GFLOP/s | achieved/peak |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with torch.inference_mode():
        for name, model, flops in models(names):
            model.eval()
            assert model.config._attn_implementation == ATTENTION, model.config._attn_implementation
            for batch in batches:
                pixels = torch.randn(batch, CHANNELS, IMAGE_SIZE, IMAGE_SIZE)
                for _ in range(args.warm_up):
                    model(pixel_values=pixels)
                mean, best = time_runs(args.repetitions, lambda: model(pixel_values=pixels))
                gflops = flops * batch / best / 1e9
                print(
                    f"| {name} | {batch} | {mean / batch * 1e3:.1f} | {best / batch * 1e3:.1f} "
                    f"| {flops / 1e9:.2f} | {gflops:.1f} | {gflops / peak:.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
