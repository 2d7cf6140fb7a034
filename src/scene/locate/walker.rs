//! The RON walker behind [`SourceMap`](super::SourceMap): a recursive-descent pass over the
//! source that records the byte range of every value under its path.

use super::SyntaxError;

/// Brackets nested deeper than this stop the walk, which keeps garbled input from exhausting
/// the stack. `ron` applies the same default limit.
const MAX_DEPTH: usize = 128;

#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub(super) path: String,
    /// Byte offset of the field name for struct fields, of the value otherwise.
    pub(super) outer_start: usize,
    /// Byte range of the value itself.
    pub(super) start: usize,
    pub(super) end: usize,
    /// Whether a syntax error cut the value short. Its range then ends just after the error,
    /// and the error's own position counts as inside it.
    pub(super) cut_short: bool,
}

/// End offset of an entry whose value is still being walked.
pub(super) const OPEN: usize = usize::MAX;

pub(super) struct Walker<'a> {
    src: &'a str,
    pos: usize,
    pub(super) entries: Vec<Entry>,
    /// Brackets currently open, innermost last, with their byte offsets.
    open: Vec<(char, usize)>,
}

type WalkResult = Result<(), SyntaxError>;

/// Byte offset of the first character at or after `offset` that is not whitespace or part of
/// a comment. An unclosed block comment leaves the offset where the comment starts.
pub(super) fn skip_trivia_from(src: &str, offset: usize) -> usize {
    let mut walker = Walker::new(src);
    walker.pos = offset;
    let _ = walker.skip_trivia();
    walker.pos
}

impl<'a> Walker<'a> {
    pub(super) fn new(src: &'a str) -> Self {
        Self {
            src,
            pos: 0,
            entries: Vec::new(),
            open: Vec::new(),
        }
    }

    pub(super) fn document(&mut self) -> WalkResult {
        self.skip_trivia()?;
        self.skip_attributes()?;
        self.value(String::new(), None)?;
        self.skip_trivia()?;
        if self.pos < self.src.len() {
            return Err(self.error("unexpected text after the end of the document"));
        }
        Ok(())
    }

    /// Skips `#![enable(...)]` attributes at the top of the document.
    fn skip_attributes(&mut self) -> WalkResult {
        while self.rest().starts_with("#!") {
            self.pos += 2;
            self.skip_trivia()?;
            if !self.eat('[') {
                return Err(self.error("expected `[` after `#!`"));
            }
            let depth = 1;
            self.skip_balanced(depth)?;
            self.skip_trivia()?;
        }
        Ok(())
    }

    /// Skips up to and including the `]` that closes an attribute.
    fn skip_balanced(&mut self, mut depth: usize) -> WalkResult {
        while depth > 0 {
            self.skip_trivia()?;
            match self.bump() {
                Some('[') => depth += 1,
                Some(']') => depth -= 1,
                Some(_) => {}
                None => return Err(self.error("attribute is not closed with `]`")),
            }
        }
        Ok(())
    }

    fn value(&mut self, path: String, key_start: Option<usize>) -> WalkResult {
        self.skip_trivia()?;
        let start = self.pos;
        let index = self.entries.len();
        self.entries.push(Entry {
            path: path.clone(),
            outer_start: key_start.unwrap_or(start),
            start,
            end: OPEN,
            cut_short: false,
        });

        let Some(c) = self.peek() else {
            // Nothing of the value was written, so nothing is recorded for it.
            self.entries.truncate(index);
            return Err(self.error("expected a value, found the end of the file"));
        };
        match c {
            '"' => self.string()?,
            '\'' => self.char_literal()?,
            'r' if matches!(self.peek_nth(1), Some('"' | '#')) && !self.is_raw_identifier() => {
                self.raw_string()?;
            }
            'b' if matches!(self.peek_nth(1), Some('"')) => {
                self.pos += 1;
                self.string()?;
            }
            'b' if matches!(self.peek_nth(1), Some('\'')) => {
                self.pos += 1;
                self.char_literal()?;
            }
            '(' => self.group(&path)?,
            '[' => self.list(&path)?,
            '{' => self.map(&path)?,
            c if c.is_ascii_digit() || matches!(c, '+' | '-' | '.') => self.number()?,
            c if is_identifier_start(c) => {
                self.identifier();
                self.skip_trivia()?;
                if self.peek() == Some('(') {
                    self.group(&path)?;
                }
            }
            c => {
                self.entries.truncate(index);
                return Err(self.error(&format!("expected a value, found `{c}`")));
            }
        }
        // Trailing trivia is not part of the value.
        self.entries[index].end = self.pos;
        Ok(())
    }

    /// Walks a parenthesised group: struct fields, tuple elements or enum variant contents.
    fn group(&mut self, path: &str) -> WalkResult {
        self.open_bracket('(')?;
        self.skip_trivia()?;
        if self.has_named_fields() {
            self.fields(path)?;
        } else {
            let first_entry = self.entries.len();
            let count = self.elements(path, ')')?;
            if count == 1 {
                // `Some(x)` or `(x)`: the element shares its parent's path.
                let element_path = index_path(path, 0);
                for entry in &mut self.entries[first_entry..] {
                    if let Some(rest) = entry.path.strip_prefix(element_path.as_str()) {
                        entry.path = format!("{path}{rest}");
                    }
                }
            }
        }
        self.close_bracket(')')
    }

    fn fields(&mut self, path: &str) -> WalkResult {
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(')') {
                return Ok(());
            }
            let key_start = self.pos;
            if !self.peek().is_some_and(is_identifier_start) {
                return Err(self.error("expected a field name"));
            }
            let name = self.identifier();
            let name = name.strip_prefix("r#").unwrap_or(name).to_owned();
            self.skip_trivia()?;
            if !self.eat(':') {
                return Err(self.error(&format!("expected `:` after field `{name}`")));
            }
            self.value(field_path(path, &name), Some(key_start))?;
            if !self.separator(')')? {
                return Ok(());
            }
        }
    }

    /// Walks comma-separated values up to `close` and returns how many there were.
    fn elements(&mut self, path: &str, close: char) -> Result<usize, SyntaxError> {
        let mut count = 0;
        loop {
            self.skip_trivia()?;
            if self.peek() == Some(close) {
                return Ok(count);
            }
            self.value(index_path(path, count), None)?;
            count += 1;
            if !self.separator(close)? {
                return Ok(count);
            }
        }
    }

    fn list(&mut self, path: &str) -> WalkResult {
        self.open_bracket('[')?;
        self.elements(path, ']')?;
        self.close_bracket(']')
    }

    fn map(&mut self, path: &str) -> WalkResult {
        self.open_bracket('{')?;
        loop {
            self.skip_trivia()?;
            if self.peek() == Some('}') {
                break;
            }
            let key_start = self.pos;
            let mut key_walker_entries = std::mem::take(&mut self.entries);
            let key_result = self.value(String::new(), None);
            std::mem::swap(&mut self.entries, &mut key_walker_entries);
            key_result?;
            let key = self.src[key_start..self.pos].trim().to_owned();
            self.skip_trivia()?;
            if !self.eat(':') {
                return Err(self.error("expected `:` after a map key"));
            }
            self.value(format!("{path}[{key}]"), Some(key_start))?;
            if !self.separator('}')? {
                break;
            }
        }
        self.close_bracket('}')
    }

    /// Consumes a `,` and returns true, or returns false when `close` comes next.
    fn separator(&mut self, close: char) -> Result<bool, SyntaxError> {
        self.skip_trivia()?;
        if self.eat(',') {
            Ok(true)
        } else if self.peek() == Some(close) {
            Ok(false)
        } else if self.peek().is_none() {
            Err(self.error(&format!(
                "expected `,` or `{close}`, found the end of the file"
            )))
        } else {
            Err(self.error(&format!("expected `,` or `{close}`")))
        }
    }

    fn open_bracket(&mut self, bracket: char) -> WalkResult {
        if self.open.len() >= MAX_DEPTH {
            return Err(self.error(&format!("values are nested more than {MAX_DEPTH} deep")));
        }
        self.open.push((bracket, self.pos));
        self.pos += bracket.len_utf8();
        Ok(())
    }

    fn close_bracket(&mut self, bracket: char) -> WalkResult {
        self.skip_trivia()?;
        if !self.eat(bracket) {
            return Err(self.error(&format!("expected `{bracket}`")));
        }
        self.open.pop();
        Ok(())
    }

    /// Returns whether the group starting here lists `name: value` fields rather than bare values.
    fn has_named_fields(&self) -> bool {
        let mut probe = Walker::new(self.src);
        probe.pos = self.pos;
        if !probe.peek().is_some_and(is_identifier_start) {
            return false;
        }
        probe.identifier();
        if probe.skip_trivia().is_err() {
            return false;
        }
        probe.rest().starts_with(':') && !probe.rest().starts_with("::")
    }

    fn string(&mut self) -> WalkResult {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.bump() {
                Some('"') => return Ok(()),
                Some('\\') => {
                    self.bump();
                }
                Some(_) => {}
                None => return Err(self.error_at(start, "string is not closed with `\"`")),
            }
        }
    }

    fn raw_string(&mut self) -> WalkResult {
        let start = self.pos;
        self.pos += 1;
        let hashes = self.rest().chars().take_while(|&c| c == '#').count();
        self.pos += hashes;
        if !self.eat('"') {
            return Err(self.error("expected `\"` to start a raw string"));
        }
        let terminator = format!("\"{}", "#".repeat(hashes));
        match self.rest().find(&terminator) {
            Some(index) => {
                self.pos += index + terminator.len();
                Ok(())
            }
            None => Err(self.error_at(start, "raw string is not closed")),
        }
    }

    fn char_literal(&mut self) -> WalkResult {
        let start = self.pos;
        self.pos += 1;
        if self.bump() == Some('\\') {
            self.bump();
        }
        // Escapes such as `\u{1F600}` run up to the closing quote.
        while let Some(c) = self.peek() {
            if c == '\'' || c == '\n' {
                break;
            }
            self.pos += c.len_utf8();
        }
        if self.eat('\'') {
            Ok(())
        } else {
            Err(self.error_at(start, "character literal is not closed with `'`"))
        }
    }

    /// Numbers in every form `ron` accepts: signs, `_` separators, exponents, `0x`/`0o`/`0b`
    /// prefixes, and the special floats `inf` and `NaN`.
    fn number(&mut self) -> WalkResult {
        let start = self.pos;
        let mut previous = '\0';
        while let Some(c) = self.peek() {
            let is_exponent_sign = matches!(c, '+' | '-')
                && matches!(previous, 'e' | 'E')
                && !self.src[start..self.pos].contains(['x', 'X']);
            let is_leading_sign = matches!(c, '+' | '-') && self.pos == start;
            if c.is_ascii_alphanumeric()
                || matches!(c, '_' | '.')
                || is_exponent_sign
                || is_leading_sign
            {
                previous = c;
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == start
            || self.src[start..self.pos]
                .chars()
                .all(|c| matches!(c, '+' | '-' | '.'))
        {
            return Err(self.error_at(start, "expected a number"));
        }
        Ok(())
    }

    /// Consumes an identifier, including raw identifiers such as `r#type`, and returns it.
    fn identifier(&mut self) -> &'a str {
        let start = self.pos;
        if self.is_raw_identifier() {
            self.pos += 2;
        }
        while let Some(c) = self.peek() {
            if is_identifier_continue(c) {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        &self.src[start..self.pos]
    }

    fn is_raw_identifier(&self) -> bool {
        self.rest().starts_with("r#") && self.peek_nth(2).is_some_and(is_identifier_continue)
    }

    /// Skips whitespace, `//` line comments and nested `/* */` block comments.
    fn skip_trivia(&mut self) -> WalkResult {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if trimmed.starts_with("/*") {
                self.block_comment()?;
            } else {
                return Ok(());
            }
        }
    }

    fn block_comment(&mut self) -> WalkResult {
        let start = self.pos;
        self.pos += 2;
        let mut depth = 1;
        while depth > 0 {
            let rest = self.rest();
            if rest.starts_with("/*") {
                depth += 1;
                self.pos += 2;
            } else if rest.starts_with("*/") {
                depth -= 1;
                self.pos += 2;
            } else if self.bump().is_none() {
                self.pos = start;
                return Err(self.error("block comment is not closed with `*/`"));
            }
        }
        Ok(())
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek_nth(&self, n: usize) -> Option<char> {
        self.rest().chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.pos += expected.len_utf8();
            true
        } else {
            false
        }
    }

    fn error(&self, message: &str) -> SyntaxError {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, offset: usize, message: &str) -> SyntaxError {
        SyntaxError {
            offset,
            message: message.to_owned(),
            unclosed: self.open.last().copied(),
        }
    }
}

fn field_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

fn is_identifier_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_identifier_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}
