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

/// `guard explain --shell STRING --json`: the strictest decision and the deciding rule ids.
fn shell_decision(sb: &Sandbox, text: &str) -> (String, Vec<String>) {
    let out = sb
        .guard()
        .args(["explain", "--json", "--shell", text])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    (v["decision"].as_str().unwrap().to_string(), ids)
}

#[test]
fn a_shell_string_is_judged_by_its_strictest_simple_command() {
    let sb = Sandbox::new();
    for (text, decision, id) in [
        (
            "git status && git reset --hard",
            "confirm",
            "git.reset.hard",
        ),
        (
            r#"bash -c "railway volume rm -v x""#,
            "deny",
            "railway.volume.delete",
        ),
        (
            "/usr/local/bin/railway volume delete -v x",
            "deny",
            "railway.volume.delete",
        ),
        ("sudo -E env X=1 railway down", "confirm", "railway.down"),
        ("cat drop.sql | psql", "confirm", "psql.stdin"),
        (
            "psql <<'SQL'\nDROP TABLE users;\nSQL\n",
            "deny",
            "psql.sql.drop",
        ),
        ("psql <<SQL\nDROP TABLE $T;\nSQL\n", "confirm", "psql.stdin"),
        (
            "$(echo railway) volume delete",
            "confirm",
            "shell.unknowable",
        ),
        ("time git push --force", "confirm", "git.push.force"),
        (
            "echo ok; railway volume delete -v $VOL",
            "deny",
            "railway.volume.delete",
        ),
        ("railway status -e $ENV", "confirm", "shell.unknowable"),
        (
            r#"python3 -c 'import os; os.system("railway volume delete -v x")'"#,
            "confirm",
            "shell.interpreter",
        ),
        (
            "node -e \"require('fs').rmSync('/data', {recursive: true})\"",
            "confirm",
            "shell.interpreter",
        ),
    ] {
        let (got, ids) = shell_decision(&sb, text);
        assert_eq!(got, decision, "{text}: {ids:?}");
        assert!(ids.iter().any(|i| i == id), "{text}: {ids:?}");
    }
    assert_eq!(shell_decision(&sb, "ls -la | grep x").0, "allow");
    assert_eq!(shell_decision(&sb, "python3 -c 'print(1 + 1)'").0, "allow");
    let bad = sb
        .guard()
        .args(["explain", "--shell", "echo 'unterminated"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
