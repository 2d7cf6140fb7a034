use super::*;
use crate::perception::select::object_phrase;
use crate::perturb::PARAPHRASE_FRAMES;

fn instruction(axis: Axis, magnitude: f64, seed: u64) -> String {
    perturb(&mugs(), axis, magnitude, seed).scene.instruction
}

#[test]
fn paraphrases_keep_object_phrase() {
    for level in 1..=PARAPHRASE_FRAMES.len() {
        let text = instruction(Axis::PromptParaphrase, level as f64, 1);
        assert_ne!(text, "pick up the red mug", "level {level}");
        assert_eq!(object_phrase(&text), "red mug", "level {level}: {text:?}");
    }
    assert_eq!(
        instruction(Axis::PromptParaphrase, 2.0, 1),
        "could you hand me the red mug"
    );
    let message = failure(&mugs(), Axis::PromptParaphrase, 11.0);
    assert!(message.contains("level 11"), "{message}");
    assert!(message.contains("to 10"), "{message}");
}

#[test]
fn synonyms_replace_exact_count() {
    let replaced = instruction(Axis::PromptSynonym, 1.0, 3);
    let changed = replaced
        .split(' ')
        .zip("pick up the red mug".split(' '))
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(changed, 1, "{replaced:?}");
    assert_eq!(
        instruction(Axis::PromptSynonym, 2.0, 3),
        "pick up the scarlet cup"
    );
    let message = failure(&mugs(), Axis::PromptSynonym, 3.0);
    assert!(message.contains("2 word(s)"), "{message}");
    assert!(message.contains("red, mug"), "{message}");
}

#[test]
fn letter_case_levels() {
    assert_eq!(instruction(Axis::PromptCase, 1.0, 1), "Pick Up The Red Mug");
    assert_eq!(instruction(Axis::PromptCase, 2.0, 1), "PICK UP THE RED MUG");
    let random = instruction(Axis::PromptCase, 3.0, 1);
    assert_eq!(random.to_lowercase(), "pick up the red mug");
    assert_ne!(
        random,
        instruction(Axis::PromptCase, 3.0, 2),
        "seeds differ"
    );
    assert_eq!(object_phrase(&random).to_lowercase(), "red mug");
    assert_eq!(
        object_phrase(&instruction(Axis::PromptCase, 2.0, 1)),
        "RED MUG"
    );
    assert!(failure(&mugs(), Axis::PromptCase, 4.0).contains("does not exist"));
}

#[test]
fn typo_count_is_exact() {
    for count in 1..=6 {
        let text = instruction(Axis::PromptTypos, count as f64, 8);
        let phrase = object_phrase(&text);
        assert_eq!(phrase.len(), "red mug".len());
        let edits = phrase
            .chars()
            .zip("red mug".chars())
            .filter(|(a, b)| a != b)
            .count();
        assert_eq!(edits, count, "{count} typos gave {phrase:?}");
        assert!(text.starts_with("pick up the "), "{text:?}");
    }
    assert_eq!(
        instruction(Axis::PromptTypos, 3.0, 8),
        instruction(Axis::PromptTypos, 3.0, 8)
    );
    assert_ne!(
        instruction(Axis::PromptTypos, 3.0, 8),
        instruction(Axis::PromptTypos, 3.0, 9)
    );
    let message = failure(&mugs(), Axis::PromptTypos, 7.0);
    assert!(message.contains("6 ASCII letters"), "{message}");
}
