//! Each simple command of a shell string, decided by the shim's own rules, then made at least
//! a `confirm` where the string leaves something to the run: an unknowable command name, an
//! unknowable argument to a guarded tool, an interpreter one-liner that runs a process or
//! deletes files. Shared by `guard explain --shell` and, later, the agents' hooks.

use super::{SimpleCommand, Word, basename, mentions_danger, one_liner};
use crate::rules::decision::{Decision, MatchedRule, decide};
use crate::rules::model::Challenge;
use crate::rules::{Action, RuleSet};
use std::ffi::OsString;

/// One simple command and its decision.
#[derive(serde::Serialize)]
pub struct Judged {
    pub argv: Vec<String>,
    #[serde(flatten)]
    pub decision: Decision,
}

/// Decide `command`: `rules_for(tool)` loads the rules a shim for `tool` would (the edge).
pub fn judge<E>(
    command: &SimpleCommand,
    rules_for: &mut dyn FnMut(&str) -> Result<std::rc::Rc<RuleSet>, E>,
    env: &[(OsString, OsString)],
) -> Result<Judged, E> {
    let argv = command.words.iter().map(|w| w.text().to_string()).collect();
    let decision = match &command.words[0] {
        Word::Unknown(name) => {
            let mut d = Decision {
                tool: name.clone(),
                action: Action::Allow,
                rules: Vec::new(),
                by_default: true,
            };
            ask(&mut d, unknowable("the command name", name));
            d
        }
        Word::Known(name) => {
            let tool = basename(name);
            let rules = rules_for(tool)?;
            let args: Vec<OsString> = command.words[1..]
                .iter()
                .map(|w| OsString::from(w.text()))
                .collect();
            let host = crate::host::Host::for_shell(&command.stdin);
            let mut d = decide(&rules, tool, &args, env, &host);
            if let Some(code) = one_liner(&command.words) {
                let tools: Vec<&str> = crate::rules::bundled::BUNDLED
                    .iter()
                    .flat_map(|b| b.tools.iter().copied())
                    .collect();
                if code
                    .known()
                    .is_none_or(|code| mentions_danger(code, &tools))
                {
                    ask(&mut d, shell_rule(
                        "shell.interpreter",
                        "an interpreter one-liner that runs a process, a guarded tool or deletes files: it is a program, not shell, and is not analysed".into(),
                    ));
                }
            }
            // A guarded tool with an argument no one knows yet: at least a human's look.
            if let Some(w) = command.words[1..].iter().find(|w| w.known().is_none())
                && rules.packs_for(tool).next().is_some()
            {
                ask(&mut d, unknowable("an argument", w.text()));
            }
            d
        }
    };
    Ok(Judged { argv, decision })
}

/// Make `d` at least a confirm, `rule` first among its reasons, unless it is already stricter.
fn ask(d: &mut Decision, rule: MatchedRule) {
    if d.action < Action::Confirm {
        d.action = Action::Confirm;
        d.by_default = false;
        d.rules.insert(0, rule);
    }
}

fn unknowable(what: &str, text: &str) -> MatchedRule {
    shell_rule(
        "shell.unknowable",
        format!("{what} is known only when it runs (`{text}`): never assumed harmless"),
    )
}

fn shell_rule(id: &str, reason: String) -> MatchedRule {
    MatchedRule {
        id: id.into(),
        action: Action::Confirm,
        reason,
        source: "<shell analysis>".into(),
        challenge: Challenge::Yes,
        target: None,
    }
}
