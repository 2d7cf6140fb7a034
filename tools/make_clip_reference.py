#!/usr/bin/env python3
"""Write the CLIP parity fixture: a random-weight CLIPModel and transformers' outputs on it.

Usage: HF_HUB_OFFLINE=1 python3 tools/make_clip_reference.py
(needs torch, transformers 5.25, tokenizers, safetensors, pillow and numpy; makes no network
request)

Writes tests/fixtures/reference/clip-tiny/:
- config.json, model.safetensors: CLIPModel with hidden 32, 2 layers, 2 heads, quick_gelu,
  64x64 images with patch 16, 16 text positions, torch seed 0. The text config keeps the
  legacy ids of openai/clip-vit-base-patch32 (bos 0, pad 1, eos 2), so transformers pools the
  text tower at the highest input id, which is <|endoftext|>.
- tokenizer.json: transformers' CLIPTokenizer built from a byte-level BPE trained on
  CAPTIONS with end-of-word suffix </w>, at most 300 tokens. The specials are renumbered to the top of the
  vocabulary, as in CLIP's 49408-token vocabulary.
- preprocessor_config.json: openai/clip-vit-base-patch32's with size and crop_size 64.
- ref_image_0.png, ref_image_1.png: two small non-square images.
- reference_texts.json, reference.safetensors: CLIPProcessor (Pillow backend, padding to 16
  with <|endoftext|>) and CLIPModel outputs for the images and TEXTS. vision_pooler_output
  and text_pooler_output are the towers' pooled states before the projections.
"""

import json
import os
import tempfile
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import CLIPConfig, CLIPImageProcessorPil, CLIPModel, CLIPProcessor, CLIPTokenizer

DESTINATION = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "reference" / "clip-tiny"
SEED = 0
MAX_POSITIONS = 16
START, END = "<|startoftext|>", "<|endoftext|>"
VOCAB_SIZE = 300

CAPTIONS = [
    "a photo of a red mug",
    "a red mug on the table",
    "the blue can on the left",
    "a green box on the right",
    "pick up the small yellow cup!",
    "the mug's handle is red",
    "place the can next to the box",
    "a stack of two boxes",
    "the white bottle, 3 cm tall",
]

# Mixed case, a contraction, punctuation, a digit, extra whitespace, a word absent from
# CAPTIONS, and two texts longer than 16 tokens that must be truncated.
TEXTS = [
    "a photo of a red mug",
    "Pick up the  GREEN box!",
    "the mug's handle, 3 zebras",
    "place the small yellow cup next to the blue can on the left of the white bottle",
]

PREPROCESSOR = {
    "crop_size": 64,
    "do_center_crop": True,
    "do_normalize": True,
    "do_resize": True,
    "feature_extractor_type": "CLIPFeatureExtractor",
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3,
    "size": 64,
}


def train_vocab() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Train a byte-level BPE with CLIP's normalizer and pre-tokenizer on CAPTIONS."""
    reference = CLIPTokenizer()
    tokenizer = Tokenizer(models.BPE(end_of_word_suffix="</w>", continuing_subword_prefix=""))
    tokenizer.normalizer = reference.backend_tokenizer.normalizer
    tokenizer.pre_tokenizer = reference.backend_tokenizer.pre_tokenizer
    # All 256 byte symbols, as in CLIP, so that no text maps to the unknown token (which is
    # <|endoftext|> in CLIPTokenizer and would move the pooling position).
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE - 2,
        end_of_word_suffix="</w>",
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    # NOTE: the trainer breaks ties between equally frequent pairs in no fixed order, so a rerun
    # can number the merged tokens differently. The tests read the committed files only.
    tokenizer.train_from_iterator(CAPTIONS, trainer)
    trained = json.loads(tokenizer.to_str())["model"]
    tokens = sorted(trained["vocab"], key=trained["vocab"].get)
    vocab = {token: index for index, token in enumerate(tokens)}
    vocab[START] = len(vocab)
    vocab[END] = len(vocab)
    assert len(vocab) <= VOCAB_SIZE, f"vocabulary has {len(vocab)} tokens, more than {VOCAB_SIZE}"
    merges = [tuple(merge.split(" ")) if isinstance(merge, str) else tuple(merge) for merge in trained["merges"]]
    return vocab, merges


def write_images() -> list[Image.Image]:
    rng = np.random.default_rng(SEED)
    images = []
    for index, (height, width) in enumerate([(72, 96), (90, 70)]):
        y, x = np.mgrid[0:height, 0:width]
        base = np.stack([x * 255 / width, y * 255 / height, (x + y) * 127 / (width + height)], axis=-1)
        noise = rng.integers(-40, 40, size=base.shape)
        pixels = np.clip(base + noise, 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels, "RGB")
        image.save(DESTINATION / f"ref_image_{index}.png")
        images.append(image)
    return images


def main() -> None:
    DESTINATION.mkdir(parents=True, exist_ok=True)

    vocab, merges = train_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=MAX_POSITIONS)
    with tempfile.TemporaryDirectory() as scratch:
        tokenizer.save_pretrained(scratch)
        (DESTINATION / "tokenizer.json").write_bytes((Path(scratch) / "tokenizer.json").read_bytes())
    (DESTINATION / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR, indent=2) + "\n")

    config = CLIPConfig(
        text_config={
            "vocab_size": len(vocab),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "max_position_embeddings": MAX_POSITIONS,
            "hidden_act": "quick_gelu",
            "bos_token_id": 0,
            "pad_token_id": 1,
            "eos_token_id": 2,
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "image_size": 64,
            "patch_size": 16,
            "hidden_act": "quick_gelu",
        },
        projection_dim=32,
    )
    torch.manual_seed(SEED)
    model = CLIPModel(config).eval()
    # Move logit_scale off logit_scale_init_value, so that code reading the config in place of
    # the weight fails the logits test.
    with torch.no_grad():
        model.logit_scale.fill_(2.0)
    model.save_pretrained(DESTINATION)

    images = write_images()
    processor = CLIPProcessor(
        image_processor=CLIPImageProcessorPil.from_pretrained(DESTINATION),
        tokenizer=CLIPTokenizer.from_pretrained(DESTINATION),
    )
    inputs = processor(
        text=TEXTS,
        images=images,
        padding="max_length",
        truncation=True,
        max_length=MAX_POSITIONS,
        return_tensors="pt",
    )
    with torch.no_grad():
        output = model(**inputs)
        # CLIPModel.forward in transformers 5.25 replaces the towers' pooler_output with the
        # projected features, so the unprojected poolers come from the towers themselves.
        vision_pooled = model.vision_model(pixel_values=inputs["pixel_values"]).pooler_output
        text_pooled = model.text_model(
            input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
        ).pooler_output

    tensors = {
        "pixel_values": inputs["pixel_values"],
        "input_ids": inputs["input_ids"],
        "attention_mask": inputs["attention_mask"],
        "image_embeds": output.image_embeds,
        "text_embeds": output.text_embeds,
        "logits_per_image": output.logits_per_image,
        "vision_pooler_output": vision_pooled,
        "text_pooler_output": text_pooled,
    }
    save_file({name: tensor.contiguous() for name, tensor in tensors.items()}, DESTINATION / "reference.safetensors")
    texts = {"texts": TEXTS, "input_ids": inputs["input_ids"].tolist()}
    (DESTINATION / "reference_texts.json").write_text(json.dumps(texts, indent=1) + "\n")

    total = sum(path.stat().st_size for path in DESTINATION.iterdir())
    print(f"wrote {DESTINATION} ({total / 1e3:.0f} kB), vocabulary {len(vocab)}")
    print("input_ids:", inputs["input_ids"].tolist())


if __name__ == "__main__":
    main()
