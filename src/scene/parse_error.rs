//! Conversion of `ron` parse errors into diagnostics that name the value, show it and give a
//! fix.

use std::path::Path;

use ron::error::{Error as RonError, SpannedError};

use super::diagnostic::Diagnostic;
use super::locate::{Position, SourceMap};

mod hints;

use hints::{did_you_mean, field_example, lower_first, starts_decimal_fraction};

/// Builds the diagnostic for a `ron` error in `source`.
pub(crate) fn diagnostic_from_ron(file: &Path, source: &str, error: &SpannedError) -> Diagnostic {
    let map = SourceMap::new(source);
    let Located {
        position,
        token,
        decimal_fraction,
    } = locate_error(&map, error);

    let explained = if decimal_fraction {
        Explained::new(
            "expected a whole number, found a decimal number",
            token,
            "remove the decimal part: image sizes and seeds are whole numbers, e.g. 224",
        )
    } else {
        let mut explained = explain(&error.code, &map, position, token.as_deref());
        if token.is_none() && is_wrong_value(&error.code) {
            // The value is missing because the file ends, so the fix is to complete the file.
            explained.fix = explain(&RonError::Eof, &map, position, None).fix;
        }
        explained
    };

    let path = map.path_at(position).unwrap_or_default().to_owned();
    let path = match &explained.missing_field {
        Some(field) if path.is_empty() => field.clone(),
        Some(field) => format!("{path}.{field}"),
        None => path,
    };
    Diagnostic {
        file: file.to_owned(),
        line: position.line,
        column: position.column,
        path,
        message: explained.message,
        value: explained.value,
        fix: explained.fix,
    }
}

/// Location of a parse error, and the source text printed with it.
struct Located {
    position: Position,
    /// The offending value or token, `None` at the end of the file.
    token: Option<String>,
    /// Whether an integer field contains a decimal number such as `224.0`.
    decimal_fraction: bool,
}

/// Moves `ron`'s error position to the start of the offending value or token.
fn locate_error(map: &SourceMap<'_>, error: &SpannedError) -> Located {
    let reported = Position {
        line: error.span.start.line,
        column: error.span.start.col,
    };
    // `ron` reports some errors at the whitespace before the value, and an unclosed block
    // comment somewhere inside it. The walker records where the comment starts.
    let mut position = map.skip_trivia(reported);
    if matches!(error.code, RonError::UnclosedBlockComment)
        && let Some(syntax_error) = map.syntax_error()
    {
        position = map.position_of_offset(syntax_error.offset);
    }

    let mut raw_token = map.text_at(position);
    // `ron` reports a value missing after a comma at the comma itself.
    if raw_token.as_deref() == Some(",") && is_wrong_value(&error.code) {
        position = map.skip_trivia(Position {
            column: position.column + 1,
            ..position
        });
        raw_token = map.text_at(position);
    }
    // After an integer field, `ron` stops at the `.` of `224.0` and reports a missing comma.
    let decimal_fraction = matches!(error.code, RonError::ExpectedComma)
        && raw_token.as_deref().is_some_and(starts_decimal_fraction);

    // A value of the wrong type is shown from its first character, so that `-1` is shown
    // whole rather than from the digit where `ron` noticed the sign.
    let value_span = map
        .innermost(position)
        .filter(|span| !span.cut_short && (decimal_fraction || is_wrong_value(&error.code)));
    if let Some(span) = value_span {
        position = span.start;
    }
    Located {
        position,
        token: value_span.map(|span| span.text()).or(raw_token),
        decimal_fraction,
    }
}

/// Returns whether the error means that a whole value has the wrong type or range.
fn is_wrong_value(code: &RonError) -> bool {
    matches!(
        code,
        RonError::ExpectedFloat
            | RonError::ExpectedInteger
            | RonError::IntegerOutOfBounds
            | RonError::ExpectedString
            | RonError::ExpectedBoolean
            | RonError::InvalidValueForType { .. }
            | RonError::ExpectedStructLike
            | RonError::ExpectedArray
            | RonError::ExpectedOption
    )
}

struct Explained {
    message: String,
    value: Option<String>,
    fix: String,
    /// Name of a required field the struct at the error position leaves out.
    missing_field: Option<String>,
}

impl Explained {
    fn new(message: impl Into<String>, value: Option<String>, fix: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            value,
            fix: fix.into(),
            missing_field: None,
        }
    }
}

fn explain(
    code: &RonError,
    map: &SourceMap<'_>,
    position: Position,
    token: Option<&str>,
) -> Explained {
    let value = token.map(str::to_owned);
    let found = token.map_or_else(|| "the end of the file".to_owned(), |t| format!("`{t}`"));
    match code {
        RonError::NoSuchStructField {
            expected,
            found: field,
            outer,
        } => {
            let owner = outer.as_deref().unwrap_or("this struct");
            let value = map.innermost(position).map(|span| span.text());
            let fix = if expected.is_empty() {
                format!("remove the field: `{owner}` has no fields")
            } else {
                format!(
                    "{}`{owner}` takes the fields: {}",
                    did_you_mean(field, expected),
                    expected.join(", ")
                )
            };
            Explained::new(format!("unknown field `{field}` in `{owner}`"), value, fix)
        }
        RonError::NoSuchEnumVariant {
            expected,
            found: variant,
            outer,
        } => {
            let owner = outer.as_deref().unwrap_or("this enum");
            let fix = format!(
                "{}`{owner}` is one of: {}",
                did_you_mean(variant, expected),
                expected.join(", ")
            );
            Explained::new(
                format!("unknown variant `{variant}` of `{owner}`"),
                value,
                fix,
            )
        }
        RonError::MissingStructField { field, outer } => {
            let owner = outer.as_deref().unwrap_or("this struct");
            let fix = match field_example(field) {
                Some(example) => format!("add `{field}: {example}` to `{owner}`"),
                None => format!(
                    "add `{field}: ...` to `{owner}`; docs/scenes.md lists its type and unit"
                ),
            };
            Explained {
                missing_field: Some((*field).to_owned()),
                ..Explained::new(format!("missing field `{field}` in `{owner}`"), None, fix)
            }
        }
        RonError::DuplicateStructField { field, outer } => {
            let owner = outer.as_deref().unwrap_or("this struct");
            let value = map.innermost(position).map(|span| span.text());
            Explained::new(
                format!("field `{field}` appears twice in `{owner}`"),
                value,
                format!("keep one `{field}` entry and remove the other"),
            )
        }
        RonError::InvalidValueForType {
            expected,
            found: actual,
        } => Explained::new(
            format!("expected {expected}, found {actual}"),
            value,
            format!("write {expected} here"),
        ),
        RonError::ExpectedDifferentLength {
            expected,
            found: count,
        } => Explained::new(
            format!("expected {expected}, found {count} element(s)"),
            map.innermost(position).map(|span| span.text()),
            format!(
                "write {expected}, for example `(x, y)` for `xy` or `(x, y, z)` for a position"
            ),
        ),
        RonError::ExpectedFloat => Explained::new(
            format!("expected a number, found {found}"),
            value,
            "write a plain number such as 0.04; quotes, `true`/`false` and brackets are not numbers",
        ),
        RonError::ExpectedInteger => Explained::new(
            format!("expected a whole number, found {found}"),
            value,
            "write a whole number without quotes, sign or decimal point, e.g. 224",
        ),
        RonError::IntegerOutOfBounds => Explained::new(
            format!("{found} is out of range for this whole-number field"),
            value,
            "write a non-negative whole number: `seed` takes 0..2^64, image sizes 1..2^32",
        ),
        RonError::ExpectedComma => {
            let open_string = map
                .value_before(position)
                .filter(|span| span.raw.starts_with('"') && span.raw.contains('\n'));
            let fix = match open_string {
                Some(span) => format!(
                    "the string that starts at {}:{} runs across a line end: check that it has \
                     its closing `\"`",
                    span.start.line, span.start.column
                ),
                None => "separate fields and values with commas: add `,` at the end of the \
                         previous value"
                    .to_owned(),
            };
            Explained::new(format!("expected `,` before {found}"), value, fix)
        }
        RonError::ExpectedString => Explained::new(
            format!("expected a string, found {found}"),
            value,
            "put the text in double quotes, e.g. \"red_mug\"",
        ),
        RonError::ExpectedBoolean => Explained::new(
            format!("expected `true` or `false`, found {found}"),
            value,
            "write `true` or `false` without quotes",
        ),
        RonError::ExpectedStructLike => Explained::new(
            format!("expected `(`, found {found}"),
            value,
            "vectors use parentheses, e.g. `xy: (0.4, 0.1)` or `position: (0.45, 0.0, 0.73)`, \
             and structs use `(name: value, ...)`",
        ),
        RonError::ExpectedNamedStructLike(name) => Explained::new(
            format!("expected `(` to open `{name}`, found {found}"),
            value,
            if *name == "Scene" {
                "a scene file holds one value: `Scene( ... )` or `( ... )` with the scene's fields"
                    .to_owned()
            } else {
                format!("write `{name}( ... )` or `( ... )` with its fields")
            },
        ),
        RonError::ExpectedDifferentStructName {
            expected,
            found: name,
        } => Explained::new(
            format!("expected struct `{expected}`, found `{name}`"),
            value,
            format!("rename `{name}` to `{expected}`, or leave the name out"),
        ),
        RonError::ExpectedArray => Explained::new(
            format!("expected a list in `[ ]`, found {found}"),
            value,
            "write the list in square brackets, e.g. `objects: [ (...), (...) ]`",
        ),
        RonError::ExpectedOption => Explained::new(
            format!("expected an optional value, found {found}"),
            value,
            "write the value itself, `Some(value)`, or `None`",
        ),
        RonError::ExpectedStructLikeEnd | RonError::ExpectedOptionEnd => Explained::new(
            format!("expected `)`, found {found}"),
            value,
            "close the group with `)`; vectors take exactly their number of values \
             (2 for `xy`, 3 for positions and colours)",
        ),
        RonError::ExpectedArrayEnd => Explained::new(
            format!("expected `]`, found {found}"),
            value,
            "close the list with `]` and separate its items with commas",
        ),
        RonError::ExpectedMapColon => Explained::new(
            format!("expected `:` after the field name, found {found}"),
            value,
            "write each field as `name: value`",
        ),
        RonError::ExpectedIdentifier => Explained::new(
            format!("expected a name, found {found}"),
            value,
            "write a field name or enum variant here; an optional struct value is written \
             `(field: value)` or `Some((field: value))`",
        ),
        RonError::Eof => Explained::new(
            "unexpected end of file",
            None,
            match map.syntax_error().and_then(|e| e.unclosed) {
                Some((bracket, offset)) => {
                    let open = map.position_of_offset(offset);
                    format!(
                        "close the `{bracket}` opened at {}:{}, or restore the cut-off rest of \
                         the file",
                        open.line, open.column
                    )
                }
                None => "complete the file: it ends in the middle of a value".to_owned(),
            },
        ),
        RonError::ExpectedStringEnd => Explained::new(
            "string is not closed",
            value,
            "add the closing `\"`; write a quote inside a string as `\\\"`",
        ),
        RonError::UnclosedBlockComment => Explained::new(
            "block comment is not closed",
            None,
            "close the comment with `*/`",
        ),
        RonError::TrailingCharacters => Explained::new(
            format!("unexpected {found} after the end of the scene"),
            value,
            "remove it, or move it inside the scene's outer `( ... )`",
        ),
        RonError::UnexpectedChar(c) => Explained::new(
            format!("unexpected character `{c}`"),
            value,
            "remove it, or check the bracket or quote before it",
        ),
        RonError::InvalidEscape(what) => Explained::new(
            lower_first(what),
            value,
            "use one of the escapes \\\\ \\\" \\n \\t \\u{...}",
        ),
        other => Explained::new(
            lower_first(&other.to_string()),
            value,
            "check the RON syntax here; docs/scenes.md shows a complete scene",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scene::load::parse_scene;

    const SCENE: &str = include_str!("../../tests/fixtures/scenes/valid_minimal.ron");

    /// Parses `SCENE` with `from` replaced by `to` and returns the parse diagnostic.
    fn parse_error(from: &str, to: &str) -> Diagnostic {
        assert!(SCENE.contains(from), "{from:?} is not in the scene");
        let source = SCENE.replacen(from, to, 1);
        parse_scene(Path::new("x.ron"), &source)
            .expect_err("the edit must break parsing")
            .to_diagnostic()
    }

    #[track_caller]
    fn assert_diagnostic(
        d: &Diagnostic,
        line: usize,
        column: usize,
        message: &str,
        value: Option<&str>,
    ) {
        assert_eq!((d.line, d.column), (line, column), "{d}");
        assert!(d.message.contains(message), "{d}");
        assert_eq!(d.value.as_deref(), value, "{d}");
    }

    #[test]
    fn negative_integer_is_shown_whole() {
        let d = parse_error("time_limit_s: 10.0,", "time_limit_s: 10.0, seed: -1,");
        assert_diagnostic(&d, 7, 31, "`-1` is out of range", Some("-1"));
        assert_eq!(d.path, "seed");
    }

    #[test]
    fn decimal_in_integer_field() {
        let d = parse_error(
            "view: \"front\",",
            "view: \"front\", image: (width: 224.0, height: 224),",
        );
        assert_diagnostic(
            &d,
            32,
            35,
            "expected a whole number, found a decimal number",
            Some("224.0"),
        );
        assert_eq!(d.path, "image.width");
    }

    #[test]
    fn unknown_variant_suggests_the_closest() {
        let d = parse_error("kind: Tabletop", "kind: TableTop");
        assert_diagnostic(
            &d,
            4,
            11,
            "unknown variant `TableTop` of `SceneKind`",
            Some("TableTop"),
        );
        assert!(d.fix.starts_with("did you mean `Tabletop`?"), "{d}");
    }

    #[test]
    fn unknown_field_in_a_shape_variant() {
        let d = parse_error("height: 0.1)", "hieght: 0.1)");
        assert_diagnostic(&d, 15, 38, "unknown field `hieght` in `Mug`", Some("0.1"));
        assert_eq!(d.path, "objects[0].shape.hieght");
    }

    #[test]
    fn duplicate_field_shows_the_second_value() {
        let d = parse_error(
            "time_limit_s: 10.0,",
            "time_limit_s: 10.0, time_limit_s: 5.0,",
        );
        assert_diagnostic(&d, 7, 25, "field `time_limit_s` appears twice", Some("5.0"));
    }

    #[test]
    fn truncated_file_names_the_open_bracket() {
        let cut = SCENE
            .find("        (\n            id: \"blue_box\"")
            .unwrap()
            + 9;
        let d = parse_scene(Path::new("x.ron"), &SCENE[..cut])
            .unwrap_err()
            .to_diagnostic();
        assert!(d.message.contains("unexpected end of file"), "{d}");
        assert!(d.fix.contains("close the `(` opened at 21:9"), "{d}");
        assert_eq!(d.path, "objects[1]");
    }

    #[test]
    fn missing_value_after_a_comma() {
        let cut = SCENE.find("0.1, 0.1)").unwrap() + 4;
        let d = parse_scene(Path::new("x.ron"), &SCENE[..cut])
            .unwrap_err()
            .to_diagnostic();
        assert_diagnostic(
            &d,
            16,
            41,
            "expected a number, found the end of the file",
            None,
        );
        assert!(d.fix.contains("close the `(` opened at 16:31"), "{d}");
    }

    #[test]
    fn string_running_over_lines() {
        let d = parse_error("target: \"red_mug\",", "target: \"red_mug,");
        assert!(
            d.fix
                .contains("the string that starts at 6:13 runs across a line end"),
            "{d}"
        );
    }

    #[test]
    fn unclosed_comment_points_at_its_start() {
        let d = parse_error("    view: \"front\",", "    /* view: \"front\",");
        assert_diagnostic(&d, 32, 5, "block comment is not closed", None);
    }

    #[test]
    fn trailing_text_after_the_scene() {
        let source = format!("{SCENE}\n)\n");
        let d = parse_scene(Path::new("x.ron"), &source)
            .unwrap_err()
            .to_diagnostic();
        assert_diagnostic(
            &d,
            35,
            1,
            "unexpected `)` after the end of the scene",
            Some(")"),
        );
    }

    #[test]
    fn list_where_a_vector_belongs() {
        let d = parse_error("xy: (0.4, 0.1)", "xy: [0.4, 0.1]");
        assert_diagnostic(&d, 18, 17, "expected `(`", Some("[0.4, 0.1]"));
        assert!(d.fix.contains("vectors use parentheses"), "{d}");
    }

    #[test]
    fn vector_of_the_wrong_length() {
        let d = parse_error("xy: (0.4, 0.1)", "xy: (0.4)");
        assert_diagnostic(
            &d,
            18,
            21,
            "expected an array of length 2, found 1 element",
            Some("(0.4)"),
        );
        assert_eq!(d.path, "objects[0].xy");
    }
}
