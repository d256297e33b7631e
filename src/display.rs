//! How a command and a decision read to a person: shell-quoted argv and the matched rules.

use crate::rules::decision::Decision;
use std::ffi::OsString;
use std::fmt::Write as _;

/// The command as a shell would need it typed. Non-UTF-8 bytes are shown as U+FFFD; the
/// command itself is always run with its original bytes.
pub fn shell_line(argv: &[OsString]) -> String {
    quote_all(argv.iter())
}

/// `tool` followed by `args`, quoted: how a command reads whatever path argv[0] carried.
pub fn tool_line(tool: &str, args: &[OsString]) -> String {
    let tool = OsString::from(tool);
    quote_all(std::iter::once(&tool).chain(args))
}

fn quote_all<'a>(argv: impl Iterator<Item = &'a OsString>) -> String {
    argv.map(|a| {
        let s = a.to_string_lossy();
        shlex::try_quote(&s).map_or_else(|_| format!("{s:?}"), |q| q.into_owned())
    })
    .collect::<Vec<_>>()
    .join(" ")
}

/// One line per matched rule: `  deny  railway.volume.delete: reason (source)`.
pub fn matched_rules(decision: &Decision) -> String {
    let mut out = String::new();
    for rule in &decision.rules {
        let _ = writeln!(
            out,
            "  {:<7} {}: {} ({})",
            rule.action.as_str(),
            rule.id,
            rule.reason,
            rule.source
        );
    }
    out
}
