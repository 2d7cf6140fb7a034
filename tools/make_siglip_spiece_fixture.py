"""Write a tiny SentencePiece SigLIP tokenizer and the ids transformers gives for test texts.

Trains a unigram `spiece.model` with the special pieces of the google/siglip checkpoints
(<pad>=0, </s>=1, <unk>=2, no <s>) on short object captions, writes it with a
`tokenizer_config.json` into tests/fixtures/siglip-spiece/, and stores the ids that
transformers' `SiglipTokenizer` returns for TEXTS, padded to MAX_LENGTH with `</s>`, in
expected_ids.json. The vocabulary stays within the vocab_size 300 of
tests/fixtures/reference/siglip-tiny so the same file loads with those weights.

Run with a Python that has transformers 5.25 and sentencepiece:
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

# Largest vocabulary that fits the reference siglip-tiny weights (text_config.vocab_size).
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
# longer than MAX_LENGTH, and texts that are empty or become empty.
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
]


# A few NFKC-style rules (full-width letters, the "ﬁ" ligature, the ideographic space) so the
# model carries a precompiled normaliser small enough for a fixture; the google/siglip models'
# own charsmap is about 240 KB.
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

    # The settings the google/siglip tokenizer_config.json files store.
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
    expected = {
        "transformers_version": transformers.__version__,
        "max_length": MAX_LENGTH,
        "pad_id": tokenizer.pad_token_id,
        "vocab_size": tokenizer.vocab_size,
        "cases": [
            {"text": text, "tokens": tokenizer.tokenize(text), "ids": ids}
            for text, ids in zip(TEXTS, encoded["input_ids"])
        ],
    }
    (OUT_DIR / "expected_ids.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {OUT_DIR} (vocab {tokenizer.vocab_size}, pad id {tokenizer.pad_token_id})")


if __name__ == "__main__":
    main()
