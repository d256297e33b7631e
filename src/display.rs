//! How a command and a decision read to a person: shell-quoted argv and the matched rules.
//!
//! What a human approves is what they see: every control character, and every invisible
//! character that changes how text reads (bidirectional overrides, zero-width characters),
//! is shown escaped wherever a command, a directory or a rule's text reaches a person.
//! Otherwise an argument like `$'pg\e[2K\e[1Arailway status'` could redraw the line the
//! human reads, making a destructive command look like a harmless one.

use crate::rules::decision::Decision;
use std::borrow::Cow;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt as _;

/// The command as a shell would need it typed, escapes shown (`quote`).
pub fn shell_line(argv: &[OsString]) -> String {
    quote_all(argv.iter())
}

/// `tool` followed by `args`, quoted: how a command reads whatever path argv[0] carried.
pub fn tool_line(tool: &str, args: &[OsString]) -> String {
    let tool = OsString::from(tool);
    quote_all(std::iter::once(&tool).chain(args))
}

fn quote_all<'a>(argv: impl Iterator<Item = &'a OsString>) -> String {
    argv.map(|a| quote(a.as_bytes()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One argument as a shell would need it typed. Plain text is quoted as `shlex` quotes it;
/// an argument with a character that must not reach a terminal raw, or with bytes that are
/// not UTF-8, is written in bash's `$'…'` form (`\e`, `\n`, `\xff`, `\u202e`), which shows
/// every byte and pastes back as the same argument.
pub fn quote(arg: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(arg)
        && !text.chars().any(hidden)
        && let Ok(quoted) = shlex::try_quote(text)
    {
        return quoted.into_owned();
    }
    let mut out = String::from("$'");
    for chunk in arg.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                c if hidden(c) => push_escape(&mut out, c),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out.push('\'');
    out
}

/// Free text (a reason, a directory, an id, an error) with hidden characters escaped as in
/// `quote` (newlines too), and nothing else changed.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if hidden(c) {
            push_escape(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Bytes that should be text (a path), escaped: invalid UTF-8 as `\xNN`.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.utf8_chunks() {
        out.push_str(&escape(chunk.valid()));
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// Multi-line text for a terminal (a refusal's reasons): each line escaped, newlines kept.
pub fn escape_lines(text: &str) -> String {
    text.split('\n').map(escape).collect::<Vec<_>>().join("\n")
}

/// A character that must not reach a terminal raw: C0 and C1 controls and DEL (escape
/// sequences, carriage returns, backspaces), and the invisible characters that reorder or
/// hide text (bidirectional embeddings, overrides and isolates, zero-width characters).
pub fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

fn push_escape(out: &mut String, c: char) {
    let _ = match c {
        '\n' => write!(out, "\\n"),
        '\t' => write!(out, "\\t"),
        '\r' => write!(out, "\\r"),
        '\x1b' => write!(out, "\\e"),
        c if (c as u32) < 0x80 => write!(out, "\\x{:02x}", c as u32),
        c => write!(out, "\\u{:04x}", c as u32),
    };
}

/// One line per matched rule: `  deny  railway.volume.delete: reason (source)`, escaped.
pub fn matched_rules(decision: &Decision) -> String {
    let mut out = String::new();
    for rule in &decision.rules {
        let _ = writeln!(
            out,
            "  {:<7} {}: {} ({})",
            rule.action.as_str(),
            escape(&rule.id),
            escape(&rule.reason),
            escape(&rule.source)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_arguments_are_quoted_as_a_shell_needs_them() {
        assert_eq!(quote(b"pg-data"), "pg-data");
        assert_eq!(quote(b"two words"), "'two words'");
        assert_eq!(quote("café".as_bytes()), "'café'");
    }

    #[test]
    fn control_and_invisible_characters_are_shown_escaped() {
        assert_eq!(
            quote(b"pg\x1b[2K\x1b[1Arailway status"),
            r"$'pg\e[2K\e[1Arailway status'"
        );
        assert_eq!(quote(b"a\nb\tc\rd\x7f"), r"$'a\nb\tc\rd\x7f'");
        assert_eq!(quote("x\u{202e}gpj.exe".as_bytes()), r"$'x\u202egpj.exe'");
        assert_eq!(quote("\u{9b}31m".as_bytes()), r"$'\u009b31m'");
        assert_eq!(quote(b"it's\x1b"), r"$'it\'s\e'");
        assert_eq!(quote(b"\xff\xfeok"), r"$'\xff\xfeok'");
        assert_eq!(escape("reason\x1b[31m red"), r"reason\e[31m red");
        assert_eq!(escape_bytes(b"/tmp/\x1b]0;x\x07"), r"/tmp/\e]0;x\x07");
        assert_eq!(escape_lines("a\x1b\nb"), "a\\e\nb");
    }

    #[test]
    fn no_hidden_character_survives_quoting_or_escaping() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        for shown in [quote(all.as_bytes()), escape(&all).into_owned()] {
            assert!(!shown.chars().any(hidden), "{shown:?}");
        }
    }
}
