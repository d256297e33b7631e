//! Deciding: every rule that matches is collected and the strictest action wins
//! (deny > confirm > allow); with no match, the tool's default applies. Pure.

use super::call::Call;
use super::command::CommandLine;
use super::compiled::Source;
use super::content::Inputs;
use super::model::Challenge;
use super::{Action, RuleSet};
use serde::Serialize;
use std::ffi::OsString;

#[derive(Debug, Clone, Serialize)]
pub struct MatchedRule {
    pub id: String,
    pub action: Action,
    pub reason: String,
    pub source: String,
    pub challenge: Challenge,
    /// What the command destroys, when the rule can tell (`target:` flags or capture group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub tool: String,
    #[serde(rename = "decision")]
    pub action: Action,
    /// The matched rules, strictest first.
    pub rules: Vec<MatchedRule>,
    /// True when no rule matched and the tool's `default` decided.
    pub by_default: bool,
}

impl Decision {
    /// `action id: reason` of each matched rule: what a pending request records.
    pub fn rule_lines(&self) -> Vec<String> {
        self.rules
            .iter()
            .map(|r| format!("{} {}: {}", r.action.as_str(), r.id, r.reason))
            .collect()
    }
}

pub fn decide(
    rules: &RuleSet,
    tool: &str,
    args: &[OsString],
    env: &[(OsString, OsString)],
    inputs: &dyn Inputs,
) -> Decision {
    let value_flags = rules.value_flags(tool);
    let content = rules.content(tool);
    let call =
        Call::new(CommandLine::parse(args, &value_flags), env).with_content(&content, inputs);
    // Several packs may name one tool; the strictest default among them holds.
    let default = rules
        .packs_for(tool)
        .filter_map(|p| p.default)
        .max()
        .unwrap_or(Action::Allow);
    let mut matched: Vec<MatchedRule> = rules
        .packs_for(tool)
        .flat_map(|p| &p.rules)
        .filter(|r| r.matches(&call))
        .map(|r| MatchedRule {
            id: r.id.to_string(),
            action: r.action,
            reason: r.reason.to_string(),
            source: source_label(&r.source),
            challenge: r.challenge,
            target: r
                .target(&call)
                .map(|t| String::from_utf8_lossy(&t).into_owned()),
        })
        .collect();
    matched.sort_by_key(|m| std::cmp::Reverse(m.action));
    let strictest = matched.first().map(|m| m.action);
    Decision {
        tool: tool.to_string(),
        action: strictest.unwrap_or(default),
        by_default: strictest.is_none(),
        rules: matched,
    }
}

fn source_label(s: &Source) -> String {
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::compile::{RegexCheck, compile_pack};
    use crate::rules::content::NoInputs;

    fn set(yaml: &str) -> RuleSet {
        let mut diags = Vec::new();
        let pack = compile_pack("t.yaml", yaml, RegexCheck::Full, &mut diags).expect("pack");
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        RuleSet {
            packs: vec![pack],
            disabled: vec![],
            ignored: vec![],
            switched_off: vec![],
        }
    }

    fn args(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    const PACK: &str = r#"
tools: [t]
default: allow
rules:
  - id: t.a
    action: confirm
    reason: a
    match: {command: [rm]}
  - id: t.b
    action: deny
    reason: b
    match: {flags: [--force]}
  - id: t.c
    action: allow
    reason: c
    match: {command: [rm, tmp]}
"#;

    #[test]
    fn strictest_of_all_matches_wins_and_every_match_is_reported() {
        let d = decide(&set(PACK), "t", &args("rm --force tmp"), &[], &NoInputs);
        assert_eq!(d.action, Action::Deny);
        let ids: Vec<_> = d.rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["t.b", "t.a", "t.c"]);
        assert_eq!(d.rules[0].source, "t.yaml:9");
    }

    #[test]
    fn no_match_falls_back_to_the_default() {
        let d = decide(&set(PACK), "t", &args("ls"), &[], &NoInputs);
        assert_eq!(d.action, Action::Allow);
        assert!(d.by_default);
        let strict = set(&PACK.replace("default: allow", "default: confirm"));
        assert_eq!(
            decide(&strict, "t", &args("ls"), &[], &NoInputs).action,
            Action::Confirm
        );
    }

    #[test]
    fn an_allow_rule_carves_out_of_a_stricter_default() {
        let strict = set(&PACK.replace("default: allow", "default: deny"));
        let d = decide(&strict, "t", &args("rm tmp"), &[], &NoInputs);
        assert_eq!(d.action, Action::Confirm, "t.a still matches");
        let d = decide(&strict, "t", &args("ls"), &[], &NoInputs);
        assert_eq!(d.action, Action::Deny);
    }

    #[test]
    fn other_tools_are_untouched() {
        let d = decide(&set(PACK), "other", &args("rm --force"), &[], &NoInputs);
        assert_eq!(d.action, Action::Allow);
        assert!(d.rules.is_empty());
    }
}
