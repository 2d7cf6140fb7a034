//! Prompt axes: rewording, synonyms, letter case and typos of the instruction.
//!
//! The object phrase is what [`object_phrase`](crate::perception::select::object_phrase)
//! extracts, so every change here is one that reaches the text encoder: perception strips
//! each paraphrase frame's leading words and keeps the phrase's letter case.

use anyhow::bail;
use rand::RngExt;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::perception::select::object_phrase_span;
use crate::scene::Scene;

/// Instruction frames of `prompt_paraphrase`; level n uses entry n - 1, and `{}` stands for
/// the object phrase. Level 0 keeps the original instruction.
pub const PARAPHRASE_FRAMES: [&str; 10] = [
    "grab the {}",
    "could you hand me the {}",
    "please pick up the {}",
    "get me the {}",
    "fetch the {}",
    "i need the {}",
    "take the {}",
    "can you get me the {}",
    "i would like the {}",
    "lift the {}",
];

/// Word replacements of `prompt_synonym`, matched without regard to letter case.
pub const SYNONYMS: [(&str, &str); 14] = [
    ("mug", "cup"),
    ("can", "tin"),
    ("box", "carton"),
    ("ball", "sphere"),
    ("bin", "tray"),
    ("bottle", "flask"),
    ("bowl", "dish"),
    ("cylinder", "tube"),
    ("red", "scarlet"),
    ("purple", "violet"),
    ("grey", "gray"),
    ("gray", "grey"),
    ("small", "little"),
    ("large", "big"),
];

/// Letter-case levels of `prompt_case`.
pub const TITLE_CASE_LEVEL: usize = 1;
pub const UPPER_CASE_LEVEL: usize = 2;
pub const RANDOM_CASE_LEVEL: usize = 3;

/// Rewrites the instruction as paraphrase frame `level` around the same object phrase.
pub fn paraphrase(scene: &mut Scene, level: usize) -> anyhow::Result<()> {
    let Some(frame) = level.checked_sub(1).and_then(|i| PARAPHRASE_FRAMES.get(i)) else {
        bail!(
            "paraphrase level {level} does not exist; use a level from 0 (original) to {}",
            PARAPHRASE_FRAMES.len()
        );
    };
    let phrase = &scene.instruction[object_phrase_span(&scene.instruction)];
    scene.instruction = frame.replace("{}", phrase);
    Ok(())
}

/// Splits `text` into the byte ranges of its words (runs of non-space characters).
fn word_ranges(text: &str, offset: usize) -> Vec<std::ops::Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (c == ' ', start) {
            (true, Some(s)) => {
                ranges.push(offset + s..offset + i);
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    ranges
}

/// Returns `replacement` with the letter case of `original`: all capitals, a leading
/// capital, or lower case.
fn match_case(original: &str, replacement: &str) -> String {
    let has_letters = original.chars().any(char::is_alphabetic);
    if has_letters
        && original
            .chars()
            .filter(|c| c.is_alphabetic())
            .all(char::is_uppercase)
    {
        replacement.to_uppercase()
    } else if original.chars().next().is_some_and(char::is_uppercase) {
        let mut chars = replacement.chars();
        chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    } else {
        replacement.to_owned()
    }
}

/// Replaces `count` seeded words of the object phrase with their synonyms.
pub fn synonyms(scene: &mut Scene, count: usize, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
    let span = object_phrase_span(&scene.instruction);
    let phrase = &scene.instruction[span.clone()];
    let mut candidates: Vec<(std::ops::Range<usize>, &str)> = word_ranges(phrase, span.start)
        .into_iter()
        .filter_map(|range| {
            let word = &scene.instruction[range.clone()];
            SYNONYMS
                .iter()
                .find(|(from, _)| from.eq_ignore_ascii_case(word))
                .map(|(_, to)| (range, *to))
        })
        .collect();
    if count > candidates.len() {
        let words: Vec<&str> = candidates
            .iter()
            .map(|(r, _)| &scene.instruction[r.clone()])
            .collect();
        bail!(
            "the object phrase {phrase:?} has {} word(s) with a synonym ({}); use a count of at most {}",
            candidates.len(),
            if words.is_empty() {
                "none".to_owned()
            } else {
                words.join(", ")
            },
            candidates.len()
        );
    }
    candidates.shuffle(rng);
    let mut chosen: Vec<_> = candidates.into_iter().take(count).collect();
    // Replace from the end so that earlier byte ranges stay valid.
    chosen.sort_by_key(|(range, _)| std::cmp::Reverse(range.start));
    for (range, synonym) in chosen {
        let replacement = match_case(&scene.instruction[range.clone()], synonym);
        scene.instruction.replace_range(range, &replacement);
    }
    Ok(())
}

/// Changes the letter case of the whole instruction to the style of `level`.
pub fn letter_case(scene: &mut Scene, level: usize, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
    let text = &scene.instruction;
    scene.instruction = match level {
        TITLE_CASE_LEVEL => {
            let lower = text.to_lowercase();
            word_ranges(&lower, 0)
                .into_iter()
                .fold(lower.clone(), |mut out, range| {
                    // A word whose first character changes byte length in upper case is left
                    // in lower case, so that the word ranges stay valid.
                    if let Some(first) = out.get(range.start..).and_then(|s| s.chars().next()) {
                        let upper: String = first.to_uppercase().collect();
                        if upper.len() == first.len_utf8() {
                            out.replace_range(range.start..range.start + first.len_utf8(), &upper);
                        }
                    }
                    out
                })
        }
        UPPER_CASE_LEVEL => text.to_uppercase(),
        RANDOM_CASE_LEVEL => text
            .chars()
            .map(|c| {
                if rng.random_bool(0.5) {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
        _ => bail!(
            "letter-case level {level} does not exist; use {TITLE_CASE_LEVEL} (Title Case), \
             {UPPER_CASE_LEVEL} (UPPER CASE) or {RANDOM_CASE_LEVEL} (random case)"
        ),
    };
    Ok(())
}

/// Rows of a QWERTY keyboard, for typo replacements.
const KEYBOARD_ROWS: [&str; 3] = ["qwertyuiop", "asdfghjkl", "zxcvbnm"];

/// Returns the letters next to `letter` on the same QWERTY row.
fn keyboard_neighbours(letter: char) -> Vec<char> {
    let lower = letter.to_ascii_lowercase();
    KEYBOARD_ROWS
        .iter()
        .find_map(|row| {
            let keys: Vec<char> = row.chars().collect();
            let i = keys.iter().position(|&k| k == lower)?;
            Some(
                [i.checked_sub(1), Some(i + 1)]
                    .into_iter()
                    .flatten()
                    .filter_map(|j| keys.get(j).copied())
                    .collect(),
            )
        })
        .unwrap_or_default()
}

/// Replaces `count` seeded ASCII letters of the object phrase, each at its own position, with
/// a neighbouring key of the same letter case. The phrase keeps its length, and it differs
/// from the original in exactly `count` characters.
pub fn typos(scene: &mut Scene, count: usize, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
    let span = object_phrase_span(&scene.instruction);
    let phrase = scene.instruction[span.clone()].to_owned();
    let mut positions: Vec<usize> = phrase
        .char_indices()
        .filter(|(_, c)| c.is_ascii_alphabetic())
        .map(|(i, _)| span.start + i)
        .collect();
    if count > positions.len() {
        bail!(
            "the object phrase {phrase:?} has {} ASCII letters, fewer than {count} typos; use a count of at most {}",
            positions.len(),
            positions.len()
        );
    }
    positions.shuffle(rng);
    let mut bytes = scene.instruction.clone().into_bytes();
    for &position in &positions[..count] {
        let letter = char::from(bytes[position]);
        let neighbours = keyboard_neighbours(letter);
        let replacement = neighbours[rng.random_range(0..neighbours.len())];
        let replacement = if letter.is_ascii_uppercase() {
            replacement.to_ascii_uppercase()
        } else {
            replacement
        };
        bytes[position] = replacement as u8;
    }
    scene.instruction =
        String::from_utf8(bytes).expect("ASCII letters were replaced by ASCII letters");
    Ok(())
}
