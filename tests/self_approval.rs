//! The red-team matrix (docs/threat-model.md): the short workarounds an agent running as the
//! same user takes to approve, unlock or loosen, each of which must leave the guarded command
//! refused. These rows cover the environment: `HOME` and `XDG_*` pointing elsewhere move
//! neither the passphrase, the grants and pending requests, nor the user's own rules.

use crate::allow::{guard_on_pty_with, refused_pending_id, sandbox, set_passphrase};
use crate::sandbox::{Sandbox, pty_exit, stderr};
use assert_cmd::prelude::*;

/// Every variable an agent could point at a directory of its own.
fn elsewhere(sb: &Sandbox) -> Vec<(&'static str, std::path::PathBuf)> {
    let dir = sb.path("agent");
    std::fs::create_dir_all(&dir).unwrap();
    ["HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME"]
        .into_iter()
        .map(|var| (var, dir.clone()))
        .collect()
}

#[test]
fn guard_allow_with_home_and_xdg_elsewhere_still_asks_the_passphrase() {
    let sb = sandbox();
    set_passphrase(&sb, "correct horse battery");
    let id = refused_pending_id(&sb);
    let vars = elsewhere(&sb);
    let vars: Vec<(&str, &std::ffi::OsStr)> =
        vars.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    let mut p = guard_on_pty_with(&sb, &["allow", &id], &vars);
    // The pending request is found where the shim put it, and the passphrase is asked.
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("Passphrase: ").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("wrong passphrase").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(pty_exit(&p), Some(126));
    sb.run("tool").arg("drop").assert().code(126);
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_shim_with_home_and_xdg_elsewhere_keeps_the_users_rules_and_state() {
    let sb = sandbox();
    // The agent's own config directory switches the rule off and holds a grant of its own.
    sb.write("agent/guard/config.yaml", "disable: [test.drop]\n");
    let out = sb
        .run("tool")
        .arg("drop")
        .envs(elsewhere(&sb))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(stderr(&out).contains("test.drop"), "{}", stderr(&out));
    assert_eq!(sb.runs("tool"), 0);
    // The refusal was recorded in the account's state, not the agent's directory.
    let pending = std::fs::read_to_string(sb.path("home/.local/state/guard/grants.json")).unwrap();
    assert!(pending.contains("\"tool\": \"tool\""), "{pending}");
    assert!(!sb.path("agent/guard/grants.json").exists());
    assert!(!sb.path("agent/.local/state/guard").exists());
}

#[test]
fn a_config_home_elsewhere_adds_rules_but_never_drops_the_users_own() {
    let sb = sandbox();
    sb.write(
        "agent/guard/rules/more.yaml",
        "tools: [tool]\nrules:\n  - id: agent.status\n    action: deny\n    reason: Added.\n    match: {command: [status]}\n    examples: [\"tool status\"]\n",
    );
    let with = |cmd: &mut std::process::Command| {
        cmd.env("XDG_CONFIG_HOME", sb.path("agent"));
    };
    let mut drop = sb.run("tool");
    drop.arg("drop");
    with(&mut drop);
    drop.assert().code(126);
    let mut status = sb.run("tool");
    status.arg("status");
    with(&mut status);
    status.assert().code(126);
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_truncated_or_emptied_passphrase_file_refuses_every_approval() {
    let sb = sandbox();
    set_passphrase(&sb, "correct horse battery");
    let file = sb.path("home/.config/guard/passphrase");
    let hash = std::fs::read_to_string(&file).unwrap();
    for broken in [&hash[..hash.len() / 2], ""] {
        std::fs::write(&file, broken).unwrap();
        let id = refused_pending_id(&sb);
        let mut p = guard_on_pty_with(&sb, &["allow", &id], &[]);
        p.exp_string("passphrase").unwrap();
        p.exp_eof().unwrap();
        assert_eq!(pty_exit(&p), Some(126), "passphrase file {broken:?}");
        sb.run("tool").arg("drop").assert().code(126);
    }
    assert_eq!(sb.runs("tool"), 0);
}

const DENY_AND_CONFIRM: &str = r#"
tools: [tool]
rules:
  - id: test.drop
    action: deny
    reason: Drops the database.
    match: {command: [drop]}
    examples: ["tool drop"]
  - id: test.down
    action: confirm
    reason: Takes the service down.
    match: {command: [down]}
    examples: ["tool down"]
"#;

/// Runs `script` as an agent would: a program named `claude`, detached from any terminal,
/// whose environment carries no marker (the agent unset them), running a shell line. The
/// line is given `guard`'s path as `$GUARD`. Returns the output.
fn as_agent(sb: &Sandbox, line: &str) -> std::process::Output {
    let guard = assert_cmd::cargo::cargo_bin("guard");
    sb.write_exe(
        "agent-bin/claude",
        &format!("#!/bin/sh\nGUARD='{}'\n{line}\n", guard.display()),
    );
    let mut cmd = sb.sandboxed(std::process::Command::new(sb.path("agent-bin/claude")));
    cmd.output().unwrap()
}

/// A pseudo-terminal driven by `script`, answering `yes` to whatever asks.
fn through_script_pty(command: &str) -> String {
    format!("(sleep 1; echo yes; sleep 1; echo yes) | script -qec \"{command}\" /dev/null")
}

#[test]
fn a_script_pty_inside_an_agent_cannot_approve_without_a_passphrase() {
    let sb = sandbox();
    let id = refused_pending_id(&sb);
    let out = as_agent(&sb, &through_script_pty(&format!("$GUARD allow {id}")));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("no passphrase is set, and this runs inside an agent session (claude-code"),
        "{shown}"
    );
    sb.run("tool").arg("drop").assert().code(126);
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_script_pty_inside_an_agent_cannot_confirm_without_a_passphrase() {
    let sb = Sandbox::guarding("tool").with_rules("r.yaml", DENY_AND_CONFIRM);
    let tool = sb.shims().join("tool");
    let out = as_agent(
        &sb,
        &through_script_pty(&format!("{} down", tool.display())),
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("no passphrase is set"), "{shown}");
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn with_a_passphrase_a_script_pty_inside_an_agent_is_asked_for_it_and_fails() {
    let sb = Sandbox::guarding("tool").with_rules("r.yaml", DENY_AND_CONFIRM);
    set_passphrase(&sb, "correct horse battery");
    // A confirm: inside an agent the prompt asks the passphrase too.
    let tool = sb.shims().join("tool");
    let out = as_agent(
        &sb,
        &through_script_pty(&format!("{} down", tool.display())),
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("Passphrase: "), "{shown}");
    assert!(shown.contains("wrong passphrase"), "{shown}");
    // A denied command's pending request, through `guard allow`.
    let id = refused_pending_id(&sb);
    let out = as_agent(&sb, &through_script_pty(&format!("$GUARD allow {id}")));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrong passphrase"));
    sb.run("tool").arg("drop").assert().code(126);
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_python_pty_inside_an_agent_cannot_approve_without_a_passphrase() {
    let sb = sandbox();
    let id = refused_pending_id(&sb);
    let driver = format!(
        "printf 'yes\\n' | /usr/bin/python3 -c 'import pty, sys; pty.spawn([sys.argv[1], \"allow\", sys.argv[2]])' \"$GUARD\" {id}"
    );
    let out = as_agent(&sb, &driver);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("no passphrase is set"), "{shown}");
    sb.run("tool").arg("drop").assert().code(126);
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn an_agents_environment_marker_on_a_pty_refuses_approval_without_a_passphrase() {
    let sb = sandbox();
    let id = refused_pending_id(&sb);
    for (var, value) in [
        ("CLAUDECODE", "1"),
        ("CODEX_THREAD_ID", "t"),
        ("GUARD_RUN_SESSION", "1"),
    ] {
        let mut p = guard_on_pty_with(&sb, &["allow", &id], &[(var, value.as_ref())]);
        p.exp_string("no passphrase is set").unwrap();
        p.exp_eof().unwrap();
        assert_eq!(pty_exit(&p), Some(126), "{var}");
    }
    sb.run("tool").arg("drop").assert().code(126);
}

#[test]
fn the_first_passphrase_cannot_be_set_from_inside_an_agent() {
    let sb = sandbox();
    let out = as_agent(
        &sb,
        "(sleep 1; echo agent-chosen-secret; sleep 1; echo agent-chosen-secret) | script -qec \"$GUARD passphrase set\" /dev/null",
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains("set the first passphrase from a terminal of your own"),
        "{shown}"
    );
    assert!(!sb.path("home/.config/guard/passphrase").exists());
    // The same through a marker on a pty of the test's own.
    let mut p = guard_on_pty_with(&sb, &["passphrase", "set"], &[("GEMINI_CLI", "1".as_ref())]);
    p.exp_string("refused").unwrap();
    p.exp_eof().unwrap();
    assert!(!sb.path("home/.config/guard/passphrase").exists());
}

#[test]
fn with_a_passphrase_a_grant_written_by_hand_is_ignored() {
    let sb = sandbox();
    set_passphrase(&sb, "correct horse battery");
    refused_pending_id(&sb);
    // What a few lines of Python do: a grant for the refused command, appended, and the
    // whole file replaced by one the agent wrote, with no seal or another key's.
    let path = sb.path("home/.local/state/guard/grants.json");
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let pending = &state["pending"][0];
    for seal in [serde_json::Value::Null, "ab".repeat(64).into()] {
        let mut grant = pending.clone();
        let fields = grant.as_object_mut().unwrap();
        fields.remove("rules");
        fields.remove("time");
        fields.insert("id".into(), "f0f0f0".into());
        fields.insert("uses_left".into(), 5.into());
        fields.insert("expires".into(), 4_000_000_000u64.into());
        fields.insert("created".into(), 1.into());
        fields.insert("seal".into(), seal);
        let mut forged = state.clone();
        forged["grants"] = serde_json::json!([grant]);
        std::fs::write(&path, serde_json::to_string_pretty(&forged).unwrap()).unwrap();
        let out = sb.run("tool").arg("drop").output().unwrap();
        assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
        let list = sb.guard().args(["allow", "--list"]).output().unwrap();
        assert!(
            String::from_utf8_lossy(&list.stdout).contains("IGNORED: not sealed"),
            "{}",
            String::from_utf8_lossy(&list.stdout)
        );
    }
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn with_a_passphrase_a_disable_written_by_hand_is_ignored_and_said_so() {
    let sb = sandbox();
    set_passphrase(&sb, "correct horse battery");
    sb.write("home/.config/guard/config.yaml", "disable: [test.drop]\n");
    // A forged seal in the file `guard disable` writes.
    sb.write(
        "home/.config/guard/disabled.yaml",
        &format!("- {{id: test.drop, seal: {}}}\n", "ab".repeat(64)),
    );
    let out = sb.run("tool").arg("drop").output().unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("`disable: test.drop` in ") && err.contains("was ignored: not sealed"),
        "{err}"
    );
    let rules = sb.guard().arg("rules").output().unwrap();
    let listed = String::from_utf8_lossy(&rules.stdout);
    assert_eq!(
        listed.matches("IGNORED disable: test.drop").count(),
        2,
        "{listed}"
    );
    let lint = sb
        .guard()
        .args(["lint", "--format", "json"])
        .output()
        .unwrap();
    let lint = String::from_utf8_lossy(&lint.stdout);
    assert_eq!(lint.matches("\"W107\"").count(), 2, "{lint}");
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn guard_disable_with_the_passphrase_seals_an_entry_that_counts() {
    let sb = sandbox();
    set_passphrase(&sb, "correct horse battery");
    let mut p = crate::allow::guard_on_pty(&sb, &["disable", "test.drop"]);
    p.exp_string("Passphrase: ").unwrap();
    p.send_line("wrong guess").unwrap();
    p.exp_string("wrong passphrase").unwrap();
    p.exp_eof().unwrap();
    sb.run("tool").arg("drop").assert().code(126);
    let mut p = crate::allow::guard_on_pty(&sb, &["disable", "test.drop"]);
    p.exp_string("Passphrase: ").unwrap();
    p.send_line("correct horse battery").unwrap();
    p.exp_string("disabled test.drop (sealed)").unwrap();
    p.exp_eof().unwrap();
    sb.run("tool").arg("drop").assert().success();
    // Copied to another rule, the seal is worthless.
    let sealed = std::fs::read_to_string(sb.path("home/.config/guard/disabled.yaml")).unwrap();
    assert!(sealed.contains("seal: "), "{sealed}");
}

#[test]
fn with_a_passphrase_guard_uninstall_needs_it() {
    let sb = sandbox();
    set_passphrase(&sb, "correct horse battery");
    let out = sb.guard().args(["uninstall", "tool"]).output().unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("uninstall: refused"),
        "{}",
        stderr(&out)
    );
    assert!(sb.shims().join("tool").exists());
    sb.run("tool").arg("drop").assert().code(126);
}

/// `sudo guard lock` after the human set their passphrase (the test suite's stand-in for
/// /etc/guard is the sandbox's `etc/`).
fn locked() -> Sandbox {
    let sb = sandbox();
    set_passphrase(&sb, "correct horse battery");
    let out = sb.guard().arg("lock").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let config = std::fs::read_to_string(sb.path("etc/config.yaml")).unwrap();
    assert!(config.contains("require_passphrase: true") && config.contains("locked: true"));
    sb
}

/// Approve `id` on a pty, typing `secret` as the passphrase; the exit code.
fn approve_with(sb: &Sandbox, id: &str, secret: &str) -> Option<i32> {
    let mut p = crate::allow::guard_on_pty(sb, &["allow", id]);
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("Passphrase: ").unwrap();
    p.send_line(secret).unwrap();
    p.exp_eof().unwrap();
    pty_exit(&p)
}

#[test]
fn locked_the_users_passphrase_file_deleted_or_replaced_changes_nothing() {
    let sb = locked();
    // The agent's own passphrase file, made in a sandbox of its own.
    let agent = sandbox();
    set_passphrase(&agent, "agent-chosen-secret");
    let agents_file = std::fs::read(agent.path("home/.config/guard/passphrase")).unwrap();
    let file = sb.path("home/.config/guard/passphrase");
    std::fs::remove_file(&file).unwrap();
    let id = refused_pending_id(&sb);
    assert_eq!(approve_with(&sb, &id, "agent-chosen-secret"), Some(126));
    std::fs::write(&file, &agents_file).unwrap();
    assert_eq!(approve_with(&sb, &id, "agent-chosen-secret"), Some(126));
    sb.run("tool").arg("drop").assert().code(126);
    // The human's passphrase, checked against the machine's copy, still approves.
    assert_eq!(approve_with(&sb, &id, "correct horse battery"), Some(0));
    sb.run("tool").arg("drop").assert().success();
}

#[test]
fn locked_no_disable_of_the_users_counts() {
    let sb = locked();
    sb.write("home/.config/guard/config.yaml", "disable: [test.drop]\n");
    let out = sb.run("tool").arg("drop").output().unwrap();
    assert_eq!(out.status.code(), Some(126));
    assert!(
        stderr(&out).contains("the machine is locked"),
        "{}",
        stderr(&out)
    );
    let out = sb.guard().args(["disable", "test.drop"]).output().unwrap();
    assert_eq!(out.status.code(), Some(126));
    let rules = sb.guard().arg("rules").output().unwrap();
    assert!(String::from_utf8_lossy(&rules.stdout).contains("machine: locked"));
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn guard_lock_without_a_passphrase_refuses_and_changes_nothing() {
    let sb = sandbox();
    let out = sb.guard().arg("lock").output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("set a passphrase first"),
        "{}",
        stderr(&out)
    );
    assert!(!sb.path("etc/config.yaml").exists());
}

#[test]
fn without_a_passphrase_loosening_works_but_is_recorded_and_shown() {
    let sb = sandbox();
    let out = sb.guard().args(["disable", "test.drop"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("disabled test.drop (unsealed"));
    sb.run("tool").arg("drop").assert().success();
    let rules = sb.guard().arg("rules").output().unwrap();
    assert!(
        String::from_utf8_lossy(&rules.stdout).contains("disabled: test.drop")
            && String::from_utf8_lossy(&rules.stdout).contains("UNSEALED")
    );
    let out = sb.guard().args(["uninstall", "tool"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no passphrase is set"),
        "{}",
        stderr(&out)
    );
    let log = sb.guard().args(["log", "--json"]).output().unwrap();
    let log = String::from_utf8_lossy(&log.stdout);
    let guard_lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"tool\":\"guard\""))
        .collect();
    assert_eq!(guard_lines.len(), 2, "{log}");
    assert!(
        guard_lines[0].contains("\"disable\"") && guard_lines[1].contains("\"uninstall\""),
        "{log}"
    );
}
