//! `guard lint`: everything the loader rejects, plus the checks that need a rule's examples
//! (each example must match, each not_example must not) and warnings about dead rules.

pub mod render;

use crate::layers::{Scope, check_duplicate_ids, compile_file, load_with_diagnostics, rule_files};
use crate::paths::Dirs;
use crate::rules::call::Call;
use crate::rules::command::CommandLine;
use crate::rules::compiled::{Example, Pack};
use crate::rules::diagnostic::{Code, Diagnostic};
use crate::rules::{Action, RuleSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Lint every layer guard would load: bundled packs, /etc/guard, the user's rules and configs.
pub fn lint_layers(dirs: &Dirs) -> Vec<Diagnostic> {
    let (set, _, mut diags) = load_with_diagnostics(dirs, Scope::All, &[], crate::state::now());
    semantic_checks(&set, &mut diags);
    for d in set
        .disabled
        .iter()
        .chain(set.ignored.iter().map(|i| &i.entry))
    {
        let defined = set.switched_off.contains(&d.id)
            || set
                .packs
                .iter()
                .flat_map(|p| &p.rules)
                .any(|r| r.id == d.id);
        if !defined {
            let diag = Diagnostic::new(
                Code::W105,
                &d.file,
                d.at,
                format!("`disable:` names `{}`, which no rule file defines", d.id),
            )
            .hint("check the id with `guard rules`; remove the entry if the rule is gone");
            diags.push(diag);
        }
    }
    for d in set
        .disabled
        .iter()
        .filter(|d| !d.system && d.seal.is_none())
    {
        diags.push(
            Diagnostic::new(
                Code::W107,
                &d.file,
                d.at,
                format!("`disable: {}` is not sealed: anything running as you could have written it", d.id),
            )
            .hint("set a passphrase (`guard passphrase set`) and disable rules with `guard disable ID`"),
        );
    }
    for i in &set.ignored {
        diags.push(
            Diagnostic::new(
                Code::W107,
                &i.entry.file,
                i.entry.at,
                format!("`disable: {}` is ignored: {}", i.entry.id, i.why),
            )
            .hint("remove it, or have a human run `guard disable ID`"),
        );
    }
    sorted(diags)
}

/// Lint the given files and directories only (a rule repository in CI).
pub fn lint_paths(paths: &[PathBuf]) -> Result<Vec<Diagnostic>, String> {
    let mut diags = Vec::new();
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            files.extend(rule_files(path, &mut diags));
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(format!("{}: no such file or directory", path.display()));
        }
    }
    let packs: Vec<Pack> = files
        .iter()
        .filter_map(|f| compile_file(f, Scope::All, &mut diags))
        .collect();
    check_duplicate_ids(&packs, &mut diags);
    let set = RuleSet {
        packs,
        disabled: Vec::new(),
        ignored: Vec::new(),
        switched_off: Vec::new(),
    };
    semantic_checks(&set, &mut diags);
    Ok(sorted(diags))
}

fn sorted(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diags.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    diags
}

/// An example split into environment, tool and arguments, as a shell would.
struct ParsedExample {
    env: Vec<(OsString, OsString)>,
    tool: String,
    args: Vec<OsString>,
    /// A trailing `< FILE` (or `| …` before the tool is not supported): stdin is piped.
    stdin_piped: bool,
}

impl ParsedExample {
    fn host(&self) -> crate::host::Host {
        crate::host::Host::for_examples(self.stdin_piped)
    }
}

fn parse_example(text: &str) -> Option<ParsedExample> {
    let mut split = shlex::split(text)?;
    // `tool args < file`: the example runs with stdin redirected from a file.
    let stdin_piped = split.len() >= 2 && split[split.len() - 2] == "<";
    if stdin_piped {
        split.truncate(split.len() - 2);
    }
    let mut words = split.into_iter().peekable();
    let mut env = Vec::new();
    while let Some((k, v)) = words.peek().and_then(|w| w.split_once('=')) {
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            break;
        }
        env.push((k.into(), v.into()));
        words.next();
    }
    let tool = words.next()?;
    Some(ParsedExample {
        env,
        tool,
        args: words.map(OsString::from).collect(),
        stdin_piped,
    })
}

fn semantic_checks(set: &RuleSet, diags: &mut Vec<Diagnostic>) {
    for pack in &set.packs {
        let default = set
            .packs_for(pack.tools.first().copied().unwrap_or(""))
            .filter_map(|p| p.default)
            .max();
        for (rule, ex) in pack.rules.iter().zip(&pack.examples) {
            if rule.action == Action::Allow && default.unwrap_or(Action::Allow) == Action::Allow {
                diags.push(
                    Diagnostic::new(
                        Code::W104,
                        rule.source.file,
                        (rule.source.line, rule.source.column),
                        "`allow` rule under a tool whose default is allow: it changes nothing".into(),
                    )
                    .rule(rule.id)
                    .hint("allow rules carve exceptions out of a stricter `default:`; remove it or set one"),
                );
            }
            let check = |e: &Example, want: bool, diags: &mut Vec<Diagnostic>| -> Option<bool> {
                let Some(parsed) =
                    parse_example(&e.text).filter(|p| pack.tools.contains(&p.tool.as_str()))
                else {
                    diags.push(
                        Diagnostic::new(
                            Code::G013,
                            pack.file,
                            e.at,
                            format!(
                                "example `{}` {} ({})",
                                e.text,
                                if shlex::split(&e.text).is_none() {
                                    "cannot be split as a shell command line"
                                } else {
                                    "does not start with one of this file's tools"
                                },
                                pack.tools.join(", ")
                            ),
                        )
                        .rule(rule.id)
                        .hint("write the whole command line, tool first, with shell quoting"),
                    );
                    return None;
                };
                let flags = set.value_flags(&parsed.tool);
                let content = set.content(&parsed.tool);
                let host = parsed.host();
                let call = Call::new(CommandLine::parse(&parsed.args, &flags), &parsed.env)
                    .with_content(&content, &host);
                let matched = rule.matches(&call);
                if matched != want {
                    let (code, msg, hint) = if want {
                        (
                            Code::G007,
                            format!("example `{}` is not matched by this rule", e.text),
                            "fix the rule's `match:` or the example; `guard explain -- …` shows how a command parses",
                        )
                    } else {
                        (
                            Code::G008,
                            format!("not_example `{}` is matched by this rule", e.text),
                            "narrow the rule (an `unless:` or a stricter `command:`) or drop the not_example",
                        )
                    };
                    diags.push(
                        Diagnostic::new(code, pack.file, e.at, msg)
                            .rule(rule.id)
                            .hint(hint),
                    );
                }
                Some(matched)
            };
            let mut example_lines = Vec::new();
            for e in &ex.examples {
                if check(e, true, diags) == Some(true) {
                    example_lines.push(e);
                }
            }
            for e in &ex.not_examples {
                check(e, false, diags);
            }
            shadowing(set, pack, rule, &example_lines, diags);
        }
    }
}

/// W101: a rule whose every example is also matched by one other rule of the same or a
/// stricter action never changes a decision; nor does a rule identical to another.
fn shadowing(
    set: &RuleSet,
    pack: &Pack,
    rule: &crate::rules::compiled::Rule,
    examples: &[&Example],
    diags: &mut Vec<Diagnostic>,
) {
    let same = format!("{:?}", rule.when);
    for tool in pack.tools {
        for other in set.packs_for(tool).flat_map(|p| &p.rules) {
            if std::ptr::eq(*other, rule) || other.action < rule.action {
                continue;
            }
            let identical = format!("{:?}", other.when) == same;
            let covers = !examples.is_empty()
                && examples.iter().all(|e| {
                    parse_example(&e.text).is_some_and(|p| {
                        let flags = set.value_flags(&p.tool);
                        let content = set.content(&p.tool);
                        let host = p.host();
                        other.matches(
                            &Call::new(CommandLine::parse(&p.args, &flags), &p.env)
                                .with_content(&content, &host),
                        )
                    })
                });
            // Report each identical pair once, on the later rule.
            if (identical && other.action == rule.action && source_key(other) > source_key(rule))
                || (!identical && !covers)
            {
                continue;
            }
            if identical || covers {
                diags.push(
                    Diagnostic::new(
                        Code::W101,
                        rule.source.file,
                        (rule.source.line, rule.source.column),
                        format!(
                            "rule never changes a decision: `{}` ({}, {}) {}",
                            other.id,
                            other.action.as_str(),
                            other.source,
                            if identical {
                                "has the same match"
                            } else {
                                "matches every example of this rule and is at least as strict"
                            }
                        ),
                    )
                    .rule(rule.id)
                    .hint("remove one of the two, or add an example that only this rule matches"),
                );
                return;
            }
        }
    }
}

fn source_key(r: &crate::rules::compiled::Rule) -> (&str, u32) {
    (r.source.file, r.source.line)
}

/// The source text of a diagnostic's file, for the caret line; bundled packs come from the binary.
pub fn source_text(file: &str) -> Option<String> {
    use crate::rules::bundled::{BUNDLED, label};
    if let Some(b) = BUNDLED.iter().find(|b| label(b.name) == file) {
        return Some(b.text.to_string());
    }
    std::fs::read_to_string(Path::new(file)).ok()
}
