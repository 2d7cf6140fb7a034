//! Captions composed from object attributes: lowercase words without punctuation.

use std::collections::BTreeSet;

use super::attributes::{Finish, ObjectAttributes, Placement};
use crate::perception::select::DEFAULT_TEMPLATES;

/// Returns "an" before a word that starts with a vowel letter, else "a".
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Adjective a caption uses for a finish.
fn finish_word(finish: Finish) -> &'static str {
    match finish {
        Finish::Matte => "matte",
        Finish::Shiny => "shiny",
        Finish::Metallic => "metal",
        Finish::Cardboard => "cardboard",
    }
}

/// Captions of one object, without duplicates, in a fixed order.
///
/// They include the phrases inference embeds: the instruction's object phrase ("red mug",
/// with "on the middle shelf" for shelf scenes) filled into each of the default prompt
/// templates ("{}" and "a photo of {}").
pub fn captions(object: &ObjectAttributes) -> Vec<String> {
    let colour = object.colour.name;
    let size = object.size.name();
    let finish = finish_word(object.finish);
    let location = match object.placement {
        Placement::Table => "on the table".to_owned(),
        shelf => format!("on the {}", shelf.name()),
    };

    let mut captions = Vec::new();
    for (noun_index, noun) in object.shape.nouns().iter().enumerate() {
        let phrase = format!("{colour} {noun}");
        for template in DEFAULT_TEMPLATES {
            captions.push(template.replace("{}", &phrase));
        }
        if object.placement != Placement::Table {
            let shelf_phrase = format!("{phrase} {location}");
            for template in DEFAULT_TEMPLATES {
                captions.push(template.replace("{}", &shelf_phrase));
            }
        }
        captions.push(format!("the {phrase}"));
        captions.push(format!("{} {phrase}", article(colour)));
        captions.push(format!("a {size} {phrase}"));
        captions.push(format!("{} {finish} {phrase}", article(finish)));
        captions.push(format!("{} {phrase} {location}", article(colour)));
        if noun_index == 0 {
            captions.push(format!("a photo of {} {phrase}", article(colour)));
            captions.push(format!("a {size} {finish} {phrase} {location}"));
        }
    }

    let mut seen = BTreeSet::new();
    captions.retain(|caption| seen.insert(caption.clone()));
    captions
}

/// Adds every word of `captions` to `vocabulary`.
pub fn add_words(vocabulary: &mut BTreeSet<String>, captions: &[String]) {
    for caption in captions {
        for word in caption.split_whitespace() {
            vocabulary.insert(word.to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::attributes::{COLOURS, ShapeKind, SizeClass, colour_by_name};

    fn attributes(colour: &str, shape: ShapeKind, placement: Placement) -> ObjectAttributes {
        ObjectAttributes {
            shape,
            colour: colour_by_name(colour).unwrap(),
            size: SizeClass::Small,
            finish: Finish::Shiny,
            placement,
        }
    }

    #[test]
    fn captions_contain_inference_phrases() {
        let mug = captions(&attributes("red", ShapeKind::Mug, Placement::Table));
        for expected in [
            "red mug",
            "a photo of red mug",
            "the red cup",
            "a small red mug",
            "a shiny red mug",
            "a red mug on the table",
            "a photo of a red mug",
        ] {
            assert!(
                mug.contains(&expected.to_owned()),
                "{expected:?} missing from {mug:?}"
            );
        }
        let shelf_box = captions(&attributes("green", ShapeKind::Box, Placement::MiddleShelf));
        for expected in [
            "green box on the middle shelf",
            "a photo of green box on the middle shelf",
            "a green carton on the middle shelf",
        ] {
            assert!(
                shelf_box.contains(&expected.to_owned()),
                "{expected:?} missing from {shelf_box:?}"
            );
        }
    }

    #[test]
    fn captions_use_an_before_vowels() {
        let can = captions(&attributes("orange", ShapeKind::Can, Placement::Table));
        assert!(can.contains(&"an orange can".to_owned()), "{can:?}");
        assert!(!can.iter().any(|c| c.contains("a orange")), "{can:?}");
    }

    #[test]
    fn captions_are_plain_lowercase_words() {
        for colour in &COLOURS {
            for shape in ShapeKind::ALL {
                for caption in captions(&attributes(colour.name, shape, Placement::TopShelf)) {
                    assert!(
                        caption.chars().all(|c| c.is_ascii_lowercase() || c == ' '),
                        "{caption:?}"
                    );
                }
            }
        }
    }
}
