"""Write a tiny SentencePiece SigLIP tokenizer and the ids transformers returns for test texts.

Trains a unigram `spiece.model` on short object captions, with the special pieces at
<pad>=0, </s>=1, <unk>=2 and no <s>, so that the `</s>` pad token has the pad_token_id 1 of
tests/fixtures/reference/siglip-tiny/config.json. The model and a `tokenizer_config.json` go
into tests/fixtures/siglip-spiece/, and the ids that transformers' `SiglipTokenizer` returns
for TEXTS, padded to MAX_LENGTH with `</s>`, go into expected_ids.json, with those of
CASED_TEXTS under `do_lower_case=False` in `cased_cases`. The vocabulary stays within the vocab_size 300 of
tests/fixtures/reference/siglip-tiny so the same file loads with those weights.

Run with a Python that has transformers 5.25, sentencepiece and protobuf:
    python tools/make_siglip_spiece_fixture.py
"""

import io
import itertools
import json
from pathlib import Path

import sentencepiece as spm
import transformers
from transformers import SiglipTokenizer

OUT_DIR = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "siglip-spiece"

# Requested vocabulary size. The small corpus yields fewer pieces (hard_vocab_limit=False), and
# any size up to the reference siglip-tiny text_config.vocab_size of 300 fits its weights.
VOCAB_SIZE = 256
# max_position_embeddings of the reference siglip-tiny text tower.
MAX_LENGTH = 16

COLOURS = ["red", "green", "blue", "yellow", "black", "white", "orange", "purple", "grey", "pink", "brown"]
SIZES = ["small", "large", "tiny", "tall", "short", "round", "square", "shiny", "wooden", "metal", "plastic"]
OBJECTS = [
    "mug", "cube", "ball", "bottle", "box", "bowl", "can", "cup", "block", "sponge", "spoon", "fork",
    "knife", "plate", "banana", "apple", "lemon", "marker", "pen", "book", "drill", "hammer", "clamp",
    "toy", "jar", "lid", "towel", "brick", "cylinder", "pyramid",
]
VERBS = ["pick up", "grasp", "move", "place", "lift", "push", "rotate", "stack", "drop", "hold"]
PLACES = [
    "on the table", "near the bin", "in the tray", "left of the plate", "behind the lamp",
    "under the shelf", "right of the sink", "beside the robot", "into the drawer", "onto the stove",
]

# Upper case, ASCII punctuation, repeated and unusual whitespace, digits, a word made of
# characters outside the vocabulary, characters the normaliser maps, a pre-escaped "▁", a text
# longer than MAX_LENGTH, texts that are empty or become empty, and literal special tokens.
TEXTS = [
    "pick up the red mug",
    "Pick up the RED Mug!",
    "a photo of a blue cube.",
    "  grasp   the\tgreen\n ball  ",
    "the 2 yellow bottles, 3 cups & 1 box",
    "move the can (near the bin) -- now?",
    "place the blue bowl on the table; then stop",
    "ship the qz ünïcode Ωmega 日本",
    "ＲＥＤ\u3000ﬁsh mug",
    "the▁red▁block",
    "push the orange sponge left of the plate, then lift the purple box behind the lamp",
    "",
    "   ",
    "!!!",
    "red mug </s> blue cube",
    "  <unk> Pick up the mug",
]

# Texts encoded once more with do_lower_case=False.
CASED_TEXTS = ["Pick up the RED Mug!", "ＲＥＤ\u3000ﬁsh mug", "a photo of a blue cube."]


# A few NFKC-style rules (full-width letters, the "ﬁ" ligature, the ideographic space) give the
# model a precompiled character map small enough for a fixture. SentencePiece's default
# nmt_nfkc map makes a model of about 240 KB.
NORMALIZATION_RULES = (
    [f"{0xFF41 + offset:X}\t{ord('a') + offset:X}" for offset in range(26)]
    + ["FB01\t66 69", "3000\t20"]
)


def captions():
    for verb, colour, size, obj, place in itertools.product(VERBS, COLOURS, SIZES, OBJECTS, PLACES):
        yield f"{verb} the {size} {colour} {obj} {place}"
    for colour, obj in itertools.product(COLOURS, OBJECTS):
        yield f"a photo of a {colour} {obj}"
    yield "the 0 1 2 3 4 5 6 7 8 9 items, then stop now"


def train(model_path: Path) -> None:
    rules_path = model_path.with_name("normalization.tsv")
    rules_path.write_text("\n".join(NORMALIZATION_RULES) + "\n")
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=captions(),
        model_writer=model,
        model_type="unigram",
        vocab_size=VOCAB_SIZE,
        character_coverage=1.0,
        pad_id=0,
        pad_piece="<pad>",
        eos_id=1,
        eos_piece="</s>",
        unk_id=2,
        unk_piece="<unk>",
        bos_id=-1,
        hard_vocab_limit=False,
        normalization_rule_tsv=str(rules_path),
        input_sentence_size=0,
        minloglevel=2,
    )
    rules_path.unlink()
    model_path.write_bytes(model.getvalue())


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    model_path = OUT_DIR / "spiece.model"
    train(model_path)

    # The SiglipTokenizer defaults, written out as a checkpoint's tokenizer_config.json stores them.
    tokenizer_config = {
        "tokenizer_class": "SiglipTokenizer",
        "do_lower_case": True,
        "eos_token": "</s>",
        "pad_token": "</s>",
        "unk_token": "<unk>",
        "model_max_length": 64,
    }
    (OUT_DIR / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n")

    settings = {key: value for key, value in tokenizer_config.items() if key != "tokenizer_class"}
    tokenizer = SiglipTokenizer(vocab_file=str(model_path), **settings)
    encoded = tokenizer(TEXTS, padding="max_length", truncation=True, max_length=MAX_LENGTH)
    cased = SiglipTokenizer(vocab_file=str(model_path), **{**settings, "do_lower_case": False})
    cased_encoded = cased(CASED_TEXTS, padding="max_length", truncation=True, max_length=MAX_LENGTH)
    expected = {
        "transformers_version": transformers.__version__,
        "max_length": MAX_LENGTH,
        "pad_id": tokenizer.pad_token_id,
        "vocab_size": tokenizer.vocab_size,
        "cases": [
            {"text": text, "tokens": tokenizer.tokenize(text), "ids": ids}
            for text, ids in zip(TEXTS, encoded["input_ids"])
        ],
        "cased_cases": [
            {"text": text, "tokens": cased.tokenize(text), "ids": ids}
            for text, ids in zip(CASED_TEXTS, cased_encoded["input_ids"])
        ],
    }
    (OUT_DIR / "expected_ids.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {OUT_DIR} (vocab {tokenizer.vocab_size}, pad id {tokenizer.pad_token_id})")


if __name__ == "__main__":
    main()
