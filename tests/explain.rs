//! `guard explain` shows the decision and why, without running anything.

use crate::sandbox::{Sandbox, stdout};
use assert_cmd::prelude::*;
use predicates::str::contains;

const PACK: &str = r#"
tools: [tool]
value_flags: [-e]
rules:
  - id: test.drop
    action: deny
    reason: Drops everything.
    match: {command: [drop]}
    examples: ["tool drop"]
  - id: test.prod
    action: confirm
    reason: Touches production.
    match: {flag_value: {flags: [-e], regex: '^prod'}}
    examples: ["tool -e prod x"]
"#;

#[test]
fn explain_json_lists_the_decision_and_every_matched_rule() {
    let sb = Sandbox::new();
    sb.fake_tool("tool");
    sb.user_rules("t.yaml", PACK);
    let out = sb
        .guard()
        .args(["explain", "--json", "--", "tool", "-e", "prod", "drop"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["rules"][0]["id"], "test.drop");
    assert_eq!(v["rules"][0]["action"], "deny");
    assert_eq!(v["rules"][0]["reason"], "Drops everything.");
    assert_eq!(v["rules"][1]["id"], "test.prod");
    assert_eq!(v["rules"][1]["action"], "confirm");
    assert_eq!(v["real_path"], sb.path("bin/tool").display().to_string());
    assert_eq!(sb.runs("tool"), 0, "explain never runs the tool");
}

#[test]
fn explain_works_for_tools_that_are_not_installed() {
    let sb = Sandbox::new();
    sb.user_rules("t.yaml", PACK);
    sb.guard()
        .args(["explain", "tool", "status"])
        .assert()
        .success()
        .stdout(contains("decision:  allow (no rule matched"))
        .stdout(contains("real tool: not found on PATH"));
}
