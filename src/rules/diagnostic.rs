//! A problem found in a rule file, with a stable code and the exact place it was written.
//! The loader refuses on any error; `guard lint` prints all of them.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// Stable diagnostic codes; documented in docs/lint.md. Never renumber one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Code {
    /// The file is not valid YAML.
    G001,
    /// A key the format does not know (a typo such as `acton:`).
    G002,
    /// A value of the wrong type or an unknown enum word.
    G003,
    /// A required key is missing.
    G004,
    /// A regex that does not compile.
    G005,
    /// The same rule id twice, within or across files.
    G006,
    /// An `examples` entry the rule does not match.
    G007,
    /// A `not_examples` entry the rule matches.
    G008,
    /// A `match:` with no keys (it would match every command).
    G009,
    /// A `value_flags` (or `flags`) entry that is not a flag.
    G010,
    /// A file that cannot be read.
    G011,
    /// A `tools` list that is empty or names something that is not a command name.
    G012,
    /// An example that does not start with one of the pack's tools, or cannot be split.
    G013,
    /// A rule that can never change a decision: a stricter or equal rule always fires with it.
    W101,
    /// A rule with no examples.
    W102,
    /// A regex that matches the empty string (and so, unanchored, everything).
    W103,
    /// An `allow` rule under a tool whose default is already allow.
    W104,
    /// `disable:` names an id no layer defines.
    W105,
    /// `env` under `unless`: the agent controls its environment, so it could switch the rule off.
    W106,
    /// A user's `disable:` entry that is not sealed: ignored where a passphrase is set or the
    /// machine is locked, and writable by anything running as the user where not.
    W107,
}

impl Code {
    pub fn severity(self) -> Severity {
        use Code::*;
        // Exhaustive: a new code must say which it is.
        match self {
            G001 | G002 | G003 | G004 | G005 | G006 | G007 | G008 | G009 | G010 | G011 | G012
            | G013 => Severity::Error,
            W101 | W102 | W103 | W104 | W105 | W106 | W107 => Severity::Warning,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub severity: Severity,
    pub code: Code,
    pub rule: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

impl Diagnostic {
    /// G011 for a rule or config file (or directory) that cannot be read.
    pub fn unreadable(path: &std::path::Path, e: &std::io::Error) -> Diagnostic {
        Diagnostic::new(
            Code::G011,
            &path.display().to_string(),
            (1, 1),
            format!("cannot read: {e}"),
        )
        .hint("fix its permissions or remove it; guard's files must be readable UTF-8")
    }

    pub fn new(code: Code, file: &str, (line, column): (u32, u32), message: String) -> Self {
        Diagnostic {
            file: file.to_string(),
            line,
            column,
            severity: code.severity(),
            code,
            rule: None,
            message,
            hint: None,
        }
    }

    pub fn rule(mut self, id: &str) -> Self {
        self.rule = Some(id.to_string());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn set_hint(&mut self, hint: impl Into<String>) {
        self.hint = Some(hint.into());
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl std::fmt::Display for Diagnostic {
    /// One line: `file:line:col: error[G005] rule x: message (hint)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}:{}: {}[{:?}]",
            self.file, self.line, self.column, severity, self.code
        )?;
        if let Some(rule) = &self.rule {
            write!(f, " rule {rule}:")?;
        }
        write!(f, " {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}
