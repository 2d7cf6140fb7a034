//! Source positions of values in a RON scene file.
//!
//! [`SourceMap`] walks the text of a scene file once, without knowing the schema, and records
//! where each value starts and ends under a value path such as `objects[2].shape.radius` or
//! `cameras[0].trajectory.eye[1]`. Validation uses it to point a diagnostic at the exact value,
//! and loading uses it to name the value a parse error sits in.
//!
//! Path syntax: struct fields are joined with `.`, list and tuple elements use `[index]`, and
//! map entries use `[key]` with the key's source text. Names in front of `(` (struct names such
//! as `Scene(` and enum variants such as `Mug(` or `Static(`) do not appear in paths, and a
//! parenthesised group with a single unnamed element (`Some(x)`, `(x)`) shares its path with
//! that element.

/// A 1-based line and column. Columns count Unicode scalar values, as `ron` does, so the
/// numbers match `ron`'s own error positions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// The first syntax error the walker met. Values before it are still recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the error in the source.
    pub offset: usize,
    pub message: String,
    /// The innermost bracket still open at the error, with its byte offset.
    pub unclosed: Option<(char, usize)>,
}

mod walker;

use walker::{Entry, OPEN, Walker};

/// Maximum length, in characters, of the value text that diagnostics show.
const MAX_VALUE_TEXT_CHARS: usize = 80;

/// A recorded value: its path, where it starts and its source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueSpan<'m> {
    pub path: &'m str,
    pub start: Position,
    /// The value's full source text.
    pub raw: &'m str,
    /// Whether a syntax error cut the value short, so that `raw` is incomplete.
    pub cut_short: bool,
}

impl ValueSpan<'_> {
    /// Returns the source text on one line, shortened to at most 80 characters.
    pub fn text(&self) -> String {
        shorten(self.raw)
    }
}

/// Value paths of a RON document mapped to their byte ranges and line:column positions.
#[derive(Debug, Clone)]
pub struct SourceMap<'a> {
    source: &'a str,
    line_starts: Vec<usize>,
    /// One entry per value in document order: a parent comes before its children.
    entries: Vec<Entry>,
    error: Option<SyntaxError>,
}

impl<'a> SourceMap<'a> {
    /// Walks `source` and records every value it can reach. It returns no error: on a syntax
    /// error the values before it stay recorded and [`SourceMap::syntax_error`] describes it.
    pub fn new(source: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut walker = Walker::new(source);
        let error = walker.document().err();
        if let Some(error) = &error {
            // Values left open by the error extend to it, so that the error's position falls
            // inside the values it interrupted.
            let end = error.offset
                + source[error.offset..]
                    .chars()
                    .next()
                    .map_or(0, char::len_utf8);
            for entry in walker.entries.iter_mut().filter(|e| e.end == OPEN) {
                entry.end = end;
                entry.cut_short = true;
            }
        }
        Self {
            source,
            line_starts,
            entries: walker.entries,
            error,
        }
    }

    pub fn syntax_error(&self) -> Option<&SyntaxError> {
        self.error.as_ref()
    }

    /// Position where the value at `path` starts, if the file spells that value out.
    pub fn position(&self, path: &str) -> Option<Position> {
        self.entry(path).map(|e| self.position_of_offset(e.start))
    }

    /// Position of the value at `path` or, when the file leaves it out (a defaulted field),
    /// of its nearest spelled-out ancestor. Falls back to the start of the document.
    pub fn position_or_ancestor(&self, path: &str) -> Position {
        let mut current = path;
        loop {
            if let Some(position) = self.position(current) {
                return position;
            }
            match parent_path(current) {
                Some(parent) => current = parent,
                None => {
                    let start = self.entries.first().map_or(0, |e| e.start);
                    return self.position_of_offset(start);
                }
            }
        }
    }

    /// Source text of the value at `path`, shortened to one line of at most 80 characters.
    pub fn value_text(&self, path: &str) -> Option<String> {
        self.entry(path).map(|e| self.span(e).text())
    }

    /// Path of the innermost value whose range, including its field name, contains `position`.
    pub fn path_at(&self, position: Position) -> Option<&str> {
        self.innermost(position).map(|span| span.path)
    }

    /// Finds the innermost recorded value whose range, including its field name, contains
    /// `position`.
    pub fn innermost(&self, position: Position) -> Option<ValueSpan<'_>> {
        let offset = self.offset_of_position(position)?;
        self.entries
            .iter()
            .filter(|e| {
                e.outer_start <= offset && (offset < e.end || (e.cut_short && offset == e.end))
            })
            .min_by_key(|e| e.end - e.outer_start)
            .map(|e| self.span(e))
    }

    /// Finds the complete value that ends last at or before `position`. Among values ending
    /// at the same place (a value and its last element), it returns the outermost.
    pub fn value_before(&self, position: Position) -> Option<ValueSpan<'_>> {
        let offset = self.offset_of_position(position)?;
        self.entries
            .iter()
            .filter(|e| !e.cut_short && e.end <= offset && e.start < e.end)
            .max_by_key(|e| (e.end, std::cmp::Reverse(e.start)))
            .map(|e| self.span(e))
    }

    /// Source text of the value or token that starts at `position`: a recorded value when one
    /// starts there, otherwise the run of characters up to the next separator, or the single
    /// separator character itself.
    pub fn text_at(&self, position: Position) -> Option<String> {
        let offset = self.offset_of_position(position)?;
        let starting_here = self
            .entries
            .iter()
            .find(|e| e.start == offset && e.end > offset);
        if let Some(entry) = starting_here {
            return Some(self.span(entry).text());
        }
        let rest = &self.source[offset..];
        let first = rest.chars().next()?;
        let token_len = rest
            .find(|c: char| {
                c.is_whitespace() || matches!(c, ',' | '(' | ')' | '[' | ']' | '{' | '}' | ':')
            })
            .unwrap_or(rest.len());
        let token = if token_len > 0 {
            &rest[..token_len]
        } else {
            &rest[..first.len_utf8()]
        };
        Some(shorten(token))
    }

    /// Position of the first character at or after `position` that is not whitespace or a
    /// comment. `ron` reports some errors at the whitespace before the offending value.
    pub fn skip_trivia(&self, position: Position) -> Position {
        match self.offset_of_position(position) {
            Some(offset) => self.position_of_offset(walker::skip_trivia_from(self.source, offset)),
            None => position,
        }
    }

    /// Line and column of a byte offset. Offsets past the end map to the end of the source.
    pub fn position_of_offset(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.source.len());
        while !self.source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line_index];
        Position {
            line: line_index + 1,
            column: self.source[line_start..offset].chars().count() + 1,
        }
    }

    /// Byte offset of a line and column, or `None` when the position is outside the source.
    pub fn offset_of_position(&self, position: Position) -> Option<usize> {
        let line_index = position.line.checked_sub(1)?;
        let line_start = *self.line_starts.get(line_index)?;
        let line_end = self
            .line_starts
            .get(line_index + 1)
            .map_or(self.source.len(), |next| next - 1);
        let column_index = position.column.checked_sub(1)?;
        let line = &self.source[line_start..line_end];
        match line.char_indices().nth(column_index) {
            Some((index, _)) => Some(line_start + index),
            // One past the last character is where `ron` reports an unexpected end of input.
            None if line.chars().count() == column_index => Some(line_end),
            None => None,
        }
    }

    fn span<'m>(&'m self, entry: &'m Entry) -> ValueSpan<'m> {
        ValueSpan {
            path: &entry.path,
            start: self.position_of_offset(entry.start),
            raw: &self.source[entry.start..entry.end],
            cut_short: entry.cut_short,
        }
    }

    fn entry(&self, path: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.path == path)
    }
}

/// Path of the value that contains the value at `path`: `a.b[2]` → `a.b` → `a` → `None`.
pub fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

/// Joins the lines of `text` with single spaces and cuts it to `MAX_VALUE_TEXT_CHARS`.
fn shorten(text: &str) -> String {
    let one_line = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= MAX_VALUE_TEXT_CHARS {
        one_line
    } else {
        let head: String = one_line.chars().take(MAX_VALUE_TEXT_CHARS - 3).collect();
        format!("{head}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(line: usize, column: usize) -> Position {
        Position { line, column }
    }

    const SCENE: &str = r#"// header comment
Scene(
    name: "a \"quoted\" (name)", /* a block /* nested */ comment */
    objects: [
        (id: "mug", shape: Mug(radius: 0.04, height: 0.1), xy: (0.4, -0.1)),
        (
            id: "ball",
            shape: Ball(radius: NaN),
            jitter: Some((xy_m: 0.02, yaw_deg: -inf)),
        ),
    ],
    cameras: [(id: "front", trajectory: Static(eye: (1.0, 0.0, 1e-3), look_at: (0, 0, 0)))],
    tags: {"a": 1, "b": [2, 3]},
    view: r#type,
)
"#;

    #[test]
    fn locates_fields_in_variants_and_lists() {
        let map = SourceMap::new(SCENE);
        assert_eq!(map.syntax_error(), None);
        assert_eq!(map.position("name"), Some(at(3, 11)));
        assert_eq!(map.position("objects[0].shape.radius"), Some(at(5, 40)));
        assert_eq!(map.position("objects[0].shape.height"), Some(at(5, 54)));
        assert_eq!(map.position("objects[0].xy[1]"), Some(at(5, 70)));
        assert_eq!(map.position("objects[1].shape.radius"), Some(at(8, 33)));
        assert_eq!(map.position("cameras[0].trajectory.eye"), Some(at(12, 53)));
        assert_eq!(
            map.position("cameras[0].trajectory.eye[2]"),
            Some(at(12, 64))
        );
        assert_eq!(map.position("tags[\"b\"][1]"), Some(at(13, 29)));
        assert_eq!(map.position("view"), Some(at(14, 11)));
    }

    #[test]
    fn some_wrapper_shares_path() {
        let map = SourceMap::new(SCENE);
        assert_eq!(map.position("objects[1].jitter"), Some(at(9, 21)));
        assert_eq!(map.position("objects[1].jitter.yaw_deg"), Some(at(9, 48)));
        assert_eq!(
            map.value_text("objects[1].jitter.yaw_deg").as_deref(),
            Some("-inf")
        );
        assert_eq!(
            map.value_text("objects[1].shape.radius").as_deref(),
            Some("NaN")
        );
    }

    #[test]
    fn value_text_joins_lines() {
        let map = SourceMap::new(SCENE);
        assert_eq!(
            map.value_text("objects[1].jitter").as_deref(),
            Some("Some((xy_m: 0.02, yaw_deg: -inf))")
        );
        assert_eq!(
            map.value_text("name").as_deref(),
            Some(r#""a \"quoted\" (name)""#)
        );
    }

    #[test]
    fn path_at_finds_innermost_value() {
        let map = SourceMap::new(SCENE);
        assert_eq!(map.path_at(at(5, 41)), Some("objects[0].shape.radius"));
        // The field name belongs to its field.
        assert_eq!(map.path_at(at(5, 33)), Some("objects[0].shape.radius"));
        // The closing `)` of the variant belongs to the shape.
        assert_eq!(map.path_at(at(5, 57)), Some("objects[0].shape"));
        assert_eq!(map.path_at(at(1, 1)), None);
        assert_eq!(map.path_at(at(99, 1)), None);
    }

    #[test]
    fn ancestor_fallback_for_missing_values() {
        let map = SourceMap::new(SCENE);
        assert_eq!(map.position("objects[0].mass_kg"), None);
        assert_eq!(map.position_or_ancestor("objects[0].mass_kg"), at(5, 9));
        assert_eq!(map.position_or_ancestor("rates.physics_hz"), at(2, 1));
    }

    #[test]
    fn parent_paths() {
        assert_eq!(parent_path("a.b[2].c"), Some("a.b[2]"));
        assert_eq!(parent_path("a.b[2]"), Some("a.b"));
        assert_eq!(parent_path("a"), Some(""));
        assert_eq!(parent_path(""), None);
    }

    #[test]
    fn syntax_error_keeps_earlier_values() {
        let source = "(\n  a: 1,\n  b: (x: 2.0 y: 3),\n)";
        let map = SourceMap::new(source);
        let error = map.syntax_error().expect("missing comma is an error");
        assert_eq!(map.position_of_offset(error.offset), at(3, 14));
        assert_eq!(error.unclosed.map(|(c, _)| c), Some('('));
        assert_eq!(map.position("a"), Some(at(2, 6)));
        assert_eq!(map.position("b.x"), Some(at(3, 10)));
        assert_eq!(map.path_at(at(3, 14)), Some("b"));
    }

    #[test]
    fn unclosed_tokens_are_errors() {
        for source in [
            "(a: \"open",
            "(a: 1 /* open",
            "(a: [1, 2",
            "(a: r#\"x\"",
            "(a: 'x",
        ] {
            let map = SourceMap::new(source);
            assert!(map.syntax_error().is_some(), "no error for {source:?}");
        }
    }

    #[test]
    fn columns_count_characters() {
        let map = SourceMap::new("(name: \"héllo wörld\", x: 1)");
        assert_eq!(map.position("x"), Some(at(1, 26)));
        assert_eq!(map.offset_of_position(at(1, 26)), Some(27));
    }

    #[test]
    fn deep_nesting_stops_without_overflow() {
        let source = "[".repeat(100_000);
        let map = SourceMap::new(&source);
        let error = map.syntax_error().expect("too deep");
        assert!(error.message.contains("nested"), "{}", error.message);
    }

    #[test]
    fn every_prefix_of_a_scene_walks_without_panic() {
        for (end, _) in SCENE.char_indices() {
            let map = SourceMap::new(&SCENE[..end]);
            let _ = map.path_at(at(5, 40));
            let _ = map.position_or_ancestor("objects[1].shape.radius");
        }
    }
}
