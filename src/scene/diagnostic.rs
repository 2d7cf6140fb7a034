//! Problems found in a scene file, printed the way compilers print errors.

use std::fmt;
use std::path::PathBuf;

/// One problem in a scene file, located at the value that causes it.
///
/// `Display` prints it like a compiler error:
///
/// ```text
/// scenes/x.ron:12:17: error: object "red_mug": radius must be positive
///   value: -0.04
///   fix: set radius in metres above 0, e.g. 0.04
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based line, or 0 when the problem concerns the whole file (it could not be read).
    pub line: usize,
    /// 1-based column in characters, or 0 together with `line`.
    pub column: usize,
    /// Value path of the offending value, such as `objects[2].shape.radius`; empty for the
    /// whole file.
    pub path: String,
    pub message: String,
    /// Source text of the offending value, when the file spells it out.
    pub value: Option<String>,
    /// Change that makes the problem go away.
    pub fix: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": error: {}", self.message)?;
        if let Some(value) = &self.value {
            write!(f, "\n  value: {value}")?;
        }
        write!(f, "\n  fix: {}", self.fix)
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_reads_like_a_compiler_error() {
        let diagnostic = Diagnostic {
            file: PathBuf::from("scenes/x.ron"),
            line: 12,
            column: 17,
            path: "objects[0].shape.radius".to_owned(),
            message: "object \"red_mug\": radius must be positive".to_owned(),
            value: Some("-0.04".to_owned()),
            fix: "set radius in metres above 0, e.g. 0.04".to_owned(),
        };
        assert_eq!(
            diagnostic.to_string(),
            "scenes/x.ron:12:17: error: object \"red_mug\": radius must be positive\n  \
             value: -0.04\n  fix: set radius in metres above 0, e.g. 0.04"
        );
    }

    #[test]
    fn display_without_position_or_value() {
        let diagnostic = Diagnostic {
            file: PathBuf::from("scenes/missing.ron"),
            line: 0,
            column: 0,
            path: String::new(),
            message: "cannot read the file".to_owned(),
            value: None,
            fix: "check the path".to_owned(),
        };
        assert_eq!(
            diagnostic.to_string(),
            "scenes/missing.ron: error: cannot read the file\n  fix: check the path"
        );
    }
}
