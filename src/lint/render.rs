//! Lint output: compiler-style for people, a stable JSON array for scripts, and GitHub
//! workflow commands for annotations on pull requests.

use crate::display::escape;
use crate::rules::diagnostic::{Diagnostic, Severity};
use crate::style::Style;
use std::fmt::Write as _;

pub fn human(
    diags: &[Diagnostic],
    style: Style,
    source: impl Fn(&str) -> Option<String>,
) -> String {
    let mut out = String::new();
    for d in diags {
        let (word, color) = match d.severity {
            Severity::Error => ("error", Style::RED),
            Severity::Warning => ("warning", Style::YELLOW),
        };
        let rule = d
            .rule
            .as_ref()
            .map(|r| format!(" rule {}:", escape(r)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}{rule} {}",
            style.paint(&format!("{word}[{:?}]:", d.code), color),
            style.bold(&escape(&d.message))
        );
        let pad = " ".repeat(d.line.to_string().len());
        let _ = writeln!(out, "{pad}--> {}:{}:{}", escape(&d.file), d.line, d.column);
        if let Some(line) = source(&d.file).and_then(|t| {
            t.lines()
                .nth(d.line.saturating_sub(1) as usize)
                .map(str::to_string)
        }) {
            let n = d.line.to_string();
            let caret = " ".repeat(d.column.saturating_sub(1) as usize);
            let _ = writeln!(
                out,
                "{pad} |\n{n} | {}\n{pad} | {caret}{}",
                escape(&line),
                style.paint("^", color)
            );
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "{pad} = hint: {}", escape(hint));
        }
        out.push('\n');
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let _ = writeln!(out, "{errors} error(s), {warnings} warning(s)");
    out
}

pub fn json(diags: &[Diagnostic]) -> String {
    serde_json::to_string_pretty(diags).expect("diagnostics serialize")
}

/// `::error file=…,line=…,col=…,title=…::message`, escaped as the runner requires.
pub fn github(diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let kind = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut msg = d.message.clone();
        if let Some(rule) = &d.rule {
            msg = format!("rule {rule}: {msg}");
        }
        if let Some(hint) = &d.hint {
            msg = format!("{msg} (hint: {hint})");
        }
        let _ = writeln!(
            out,
            "::{kind} file={},line={},col={},title=guard {:?}::{}",
            escape_property(&d.file),
            d.line,
            d.column,
            d.code,
            escape_data(&msg)
        );
    }
    out
}

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
