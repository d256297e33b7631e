//! Every intercepted call leaves one audit line; `guard log` shows them.

use crate::sandbox::{Sandbox, stdout};
use assert_cmd::prelude::*;

#[test]
fn each_outcome_is_recorded_with_who_what_and_how() {
    let sb = Sandbox::new();
    sb.fake_tool("tool");
    sb.user_rules(
        "t.yaml",
        "tools: [tool]\nrules:\n  - id: t.drop\n    action: deny\n    reason: r\n    match: {command: [drop]}\n    examples: [\"tool drop\"]\n",
    );
    sb.install(&["tool"]);
    sb.run("tool")
        .arg("status")
        .env("GEMINI_CLI", "1")
        .assert()
        .success();
    sb.run("tool").arg("drop").assert().code(126);
    let out = sb.guard().args(["log", "--json"]).output().unwrap();
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["tool"], "tool");
    assert_eq!(lines[0]["decision"], "allow");
    assert_eq!(lines[0]["outcome"], "ran");
    assert_eq!(lines[0]["approved_by"], "none");
    assert_eq!(lines[0]["agent"], "gemini-cli");
    assert_eq!(lines[0]["argv"][1], "status");
    // assert_cmd gives the call pipes, no terminal (a_confirmed_run_is_audited_... has one).
    assert_eq!(lines[0]["tty"], serde_json::Value::Null);
    assert_eq!(lines[1]["decision"], "deny");
    assert_eq!(lines[1]["outcome"], "refused");
    assert_eq!(lines[1]["rules"][0], "t.drop");
    assert!(lines[1]["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lines[1]["cwd"], sb.root.path().display().to_string());
    let denied = sb.guard().args(["log", "--denied"]).output().unwrap();
    assert_eq!(stdout(&denied).lines().count(), 1);
    assert!(
        stdout(&denied).contains("deny    refused tool drop [t.drop]"),
        "{}",
        stdout(&denied)
    );
}

#[test]
fn the_audit_log_and_state_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    sb.fake_tool("tool");
    sb.install(&["tool"]);
    sb.run("tool").assert().success();
    let mode = |p: &str| std::fs::metadata(sb.path(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("home/.local/state/guard"), 0o700);
    assert_eq!(mode("home/.local/state/guard/audit.jsonl"), 0o600);
}
