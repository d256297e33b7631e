//! `guard allow`: only a human at a terminal turns a refused command into a grant, for that
//! exact command, a limited number of times; grants are consumed atomically.

use crate::sandbox::{Sandbox, pty, pty_exit, stderr, stdout};
use assert_cmd::prelude::*;
use predicates::str::contains;
use std::process::Command;

const DENY: &str = r#"
tools: [tool]
rules:
  - id: test.drop
    action: deny
    reason: Drops the database.
    match: {command: [drop]}
    examples: ["tool drop"]
"#;

pub(crate) fn sandbox() -> Sandbox {
    Sandbox::guarding("tool").with_rules("deny.yaml", DENY)
}

pub(crate) fn guard_on_pty(sb: &Sandbox, args: &[&str]) -> rexpect::session::PtySession {
    guard_on_pty_with(sb, args, &[])
}

/// `guard_on_pty` with more variables in its environment.
pub(crate) fn guard_on_pty_with(
    sb: &Sandbox,
    args: &[&str],
    vars: &[(&str, &std::ffi::OsStr)],
) -> rexpect::session::PtySession {
    let mut cmd = sb.with_env(Command::new(assert_cmd::cargo::cargo_bin("guard")));
    cmd.args(args)
        .current_dir(sb.root.path())
        .envs(vars.iter().copied());
    pty(cmd)
}

/// Run the denied command without a terminal and return the pending id it prints.
pub(crate) fn refused_pending_id(sb: &Sandbox) -> String {
    let out = sb.run("tool").arg("drop").output().unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    let err = stderr(&out);
    let id = err
        .split("guard allow ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no pending id in: {err}"));
    id.to_string()
}

pub(crate) fn approve(sb: &Sandbox, args: &[&str]) {
    let mut p = guard_on_pty(sb, args);
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("granted").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(pty_exit(&p), Some(0));
}

#[test]
fn a_denied_command_approved_by_id_runs_once_then_is_refused_again() {
    let sb = sandbox();
    let id = refused_pending_id(&sb);
    let mut p = guard_on_pty(&sb, &["allow", &id]);
    p.exp_string("tool drop").unwrap();
    p.exp_string("deny test.drop: Drops the database.").unwrap();
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string(&format!("granted {id}")).unwrap();
    sb.run("tool").arg("drop").assert().success();
    assert_eq!(sb.runs("tool"), 1);
    sb.run("tool").arg("drop").assert().code(126);
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn a_grant_covers_only_the_exact_command_in_the_same_directory() {
    let sb = sandbox();
    let id = refused_pending_id(&sb);
    approve(&sb, &["allow", &id]);
    sb.run("tool").args(["drop", "--force"]).assert().code(126);
    sb.run("tool")
        .arg("drop")
        .current_dir(sb.path("home"))
        .assert()
        .code(126);
    sb.run("tool").arg("drop").assert().success();
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn guard_allow_without_a_terminal_refuses() {
    let sb = sandbox();
    let id = refused_pending_id(&sb);
    sb.guard()
        .args(["allow", &id])
        .assert()
        .code(126)
        .stderr(contains("needs a human at an interactive terminal"));
    sb.guard()
        .args(["allow", "--", "tool", "drop"])
        .assert()
        .code(126);
    sb.run("tool").arg("drop").assert().code(126);
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_wrong_answer_grants_nothing() {
    let sb = sandbox();
    let id = refused_pending_id(&sb);
    let mut p = guard_on_pty(&sb, &["allow", &id]);
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("sure").unwrap();
    p.exp_string("not approved").unwrap();
    p.exp_eof().unwrap();
    sb.run("tool").arg("drop").assert().code(126);
}

pub(crate) fn set_passphrase(sb: &Sandbox, secret: &str) {
    let mut p = guard_on_pty(sb, &["passphrase", "set"]);
    p.exp_string("New passphrase: ").unwrap();
    p.send_line(secret).unwrap();
    p.exp_string("Repeat it: ").unwrap();
    p.send_line(secret).unwrap();
    p.exp_string("passphrase set").unwrap();
    p.exp_eof().unwrap();
}

#[test]
fn with_a_passphrase_a_wrong_one_refuses_and_the_right_one_approves() {
    let sb = sandbox();
    set_passphrase(&sb, "correct horse battery");
    let stored = std::fs::read_to_string(sb.path("home/.config/guard/passphrase")).unwrap();
    assert!(stored.starts_with("$argon2id$") && !stored.contains("horse"));
    let id = refused_pending_id(&sb);
    let mut p = guard_on_pty(&sb, &["allow", &id]);
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("Passphrase: ").unwrap();
    p.send_line("wrong guess").unwrap();
    p.exp_string("wrong passphrase").unwrap();
    p.exp_eof().unwrap();
    sb.run("tool").arg("drop").assert().code(126);

    let id = refused_pending_id(&sb);
    let mut p = guard_on_pty(&sb, &["allow", &id]);
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("Passphrase: ").unwrap();
    p.send_line("correct horse battery").unwrap();
    p.exp_string("granted").unwrap();
    p.exp_eof().unwrap();
    sb.run("tool").arg("drop").assert().success();
}

#[test]
fn clearing_the_passphrase_needs_the_old_one() {
    let sb = sandbox();
    set_passphrase(&sb, "correct horse battery");
    let mut p = guard_on_pty(&sb, &["passphrase", "clear"]);
    p.exp_string("Current passphrase: ").unwrap();
    p.send_line("nope nope").unwrap();
    p.exp_string("wrong passphrase").unwrap();
    p.exp_eof().unwrap();
    assert!(sb.path("home/.config/guard/passphrase").exists());
}

#[test]
fn a_required_passphrase_that_is_missing_refuses_every_approval() {
    let sb = sandbox();
    sb.write("etc/config.yaml", "require_passphrase: true\n");
    let id = refused_pending_id(&sb);
    let mut p = guard_on_pty(&sb, &["allow", &id]);
    p.exp_string("a passphrase is required").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(pty_exit(&p), Some(126));
    sb.run("tool").arg("drop").assert().code(126);
}

#[test]
fn a_grant_expires() {
    let sb = sandbox();
    approve(&sb, &["allow", "--for", "1s", "--", "tool", "drop"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    sb.run("tool").arg("drop").assert().code(126);
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_revoked_grant_no_longer_applies() {
    let sb = sandbox();
    approve(&sb, &["allow", "--uses", "5", "--", "tool", "drop"]);
    let list = sb.guard().args(["allow", "--list"]).output().unwrap();
    assert!(stdout(&list).contains("tool drop"), "{}", stdout(&list));
    let id = stdout(&list).split_whitespace().next().unwrap().to_string();
    sb.guard()
        .args(["allow", "--revoke", &id])
        .assert()
        .success();
    sb.run("tool").arg("drop").assert().code(126);
    approve(&sb, &["allow", "--uses", "5", "--", "tool", "drop"]);
    sb.guard()
        .args(["allow", "--revoke", "--all"])
        .assert()
        .success()
        .stdout(contains("revoked 1"));
    sb.run("tool").arg("drop").assert().code(126);
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_hundred_concurrent_calls_consume_a_one_use_grant_exactly_once() {
    let sb = sandbox();
    approve(&sb, &["allow", "--", "tool", "drop"]);
    let children: Vec<_> = (0..100)
        .map(|_| {
            sb.run("tool")
                .arg("drop")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let codes: Vec<Option<i32>> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap().status.code())
        .collect();
    assert_eq!(
        codes.iter().filter(|c| **c == Some(0)).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == Some(126)).count(),
        99,
        "{codes:?}"
    );
    assert_eq!(sb.runs("tool"), 1);
    // Every call left exactly one intact audit line.
    let log = sb
        .guard()
        .args(["log", "--json", "-n", "1000"])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = stdout(&log)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 100);
    assert_eq!(lines.iter().filter(|l| l["outcome"] == "ran").count(), 1);
}

#[test]
fn a_corrupt_grants_file_refuses_and_names_it() {
    let sb = sandbox();
    sb.write("home/.local/state/guard/grants.json", "{ not json");
    sb.run("tool")
        .arg("drop")
        .assert()
        .code(126)
        .stderr(contains("home/.local/state/guard/grants.json is corrupt"));
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn guard_allow_alone_lists_pending_requests_to_pick_from() {
    let sb = sandbox();
    let id = refused_pending_id(&sb);
    let mut p = guard_on_pty(&sb, &["allow"]);
    p.exp_string("Pending requests:").unwrap();
    p.exp_string(&id).unwrap();
    p.exp_string("Type the id to approve").unwrap();
    p.send_line(&id).unwrap();
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string(&format!("granted {id}")).unwrap();
    p.exp_eof().unwrap();
    sb.run("tool").arg("drop").assert().success();
    let out = sb.guard().args(["log", "--json"]).output().unwrap();
    let last: serde_json::Value =
        serde_json::from_str(stdout(&out).lines().last().unwrap()).unwrap();
    assert_eq!(last["approved_by"], format!("grant:{id}"));
    assert_eq!(last["decision"], "deny");
    assert_eq!(last["outcome"], "ran");
}

#[test]
fn a_pre_approval_binds_to_the_directory_given_with_cwd() {
    let sb = sandbox();
    let elsewhere = sb.path("home");
    approve(
        &sb,
        &[
            "allow",
            "--cwd",
            elsewhere.to_str().unwrap(),
            "--",
            "tool",
            "drop",
        ],
    );
    sb.run("tool").arg("drop").assert().code(126);
    sb.run("tool")
        .arg("drop")
        .current_dir(&elsewhere)
        .assert()
        .success();
    assert_eq!(sb.runs("tool"), 1);
}

/// An argument that would redraw the terminal: erase the line, move up, print a harmless
/// command in its place.
const DISGUISED: &str = "pg\x1b[2K\x1b[1Arailway status";

#[test]
fn a_disguised_argument_is_shown_escaped_where_the_human_approves_it() {
    let sb = sandbox();
    let out = sb.run("tool").args(["drop", DISGUISED]).output().unwrap();
    assert_eq!(out.status.code(), Some(126));
    let err = stderr(&out);
    assert!(
        !err.contains('\x1b'),
        "a raw escape reached the terminal: {err:?}"
    );
    assert!(
        err.contains(r"tool drop $'pg\e[2K\e[1Arailway status'"),
        "{err}"
    );
    let id = err
        .split("guard allow ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap()
        .to_string();
    // The list `guard allow` shows, and its confirmation, on a real terminal.
    let mut p = guard_on_pty(&sb, &["allow"]);
    let (listed, _) = p.exp_regex("Type the id to approve").unwrap();
    assert!(!listed.contains('\x1b'), "{listed:?}");
    assert!(
        listed.contains(r"$'pg\e[2K\e[1Arailway status'"),
        "{listed}"
    );
    p.send_line(&id).unwrap();
    let (prompt, _) = p.exp_regex("Type yes to allow it").unwrap();
    assert!(!prompt.contains('\x1b'), "{prompt:?}");
    assert!(
        prompt.contains(r"$'pg\e[2K\e[1Arailway status'"),
        "{prompt}"
    );
    p.send_line("no").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(pty_exit(&p), Some(126));
    // And the audit log as `guard log` prints it.
    let log = sb.guard().arg("log").output().unwrap();
    assert!(!stdout(&log).contains('\x1b'), "{:?}", stdout(&log));
    assert!(stdout(&log).contains(r"\e[2K"), "{}", stdout(&log));
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_pending_request_written_by_hand_is_shown_from_its_exact_bytes() {
    let sb = sandbox();
    let id = refused_pending_id(&sb);
    // Whatever can write the state file chooses the stored text: guard shows the bytes.
    let path = sb.path("home/.local/state/guard/grants.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let forged = text.replace("\"tool drop\"", "\"tool status\\u001b[8m drop\"");
    assert_ne!(text, forged);
    std::fs::write(&path, forged).unwrap();
    let mut p = guard_on_pty(&sb, &["allow", &id]);
    let (prompt, _) = p.exp_regex("Type yes to allow it").unwrap();
    assert!(prompt.contains("tool drop"), "{prompt}");
    assert!(!prompt.contains("status"), "{prompt}");
    p.send_line("no").unwrap();
    p.exp_eof().unwrap();
}

/// The pending request's id, once the shim has recorded one.
pub(crate) fn await_pending_id(sb: &Sandbox) -> String {
    let path = sb.path("home/.local/state/guard/grants.json");
    let start = std::time::Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(&path)
            && let Ok(state) = serde_json::from_str::<serde_json::Value>(&text)
            && let Some(id) = state["pending"][0]["id"].as_str()
        {
            return id.to_string();
        }
        assert!(
            start.elapsed().as_secs() < 10,
            "no pending request appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn with_approval_wait_a_call_without_a_terminal_waits_and_runs_once_approved() {
    let sb = sandbox();
    sb.write("home/.config/guard/config.yaml", "approval_wait: 30s\n");
    let child = sb
        .run("tool")
        .arg("drop")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let id = await_pending_id(&sb);
    approve(&sb, &["allow", &id]);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "waiting up to 30s for a human to run, in their own terminal: guard allow {id}"
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn with_approval_wait_no_approval_in_time_refuses() {
    let sb = sandbox();
    sb.write("home/.config/guard/config.yaml", "approval_wait: 1s\n");
    sb.run("tool")
        .arg("drop")
        .assert()
        .code(126)
        .stderr(contains("waiting up to 1s"));
    assert_eq!(sb.runs("tool"), 0);
    sb.write("home/.config/guard/config.yaml", "approval_wait: 1h\n");
    sb.run("tool")
        .arg("drop")
        .assert()
        .code(126)
        .stderr(contains("longer than 10m"));
}

#[test]
fn allow_watch_offers_each_request_as_it_comes() {
    let sb = sandbox();
    sb.write("home/.config/guard/config.yaml", "approval_wait: 30s\n");
    let mut p = guard_on_pty(&sb, &["allow", "--watch"]);
    p.exp_string("watching for pending requests").unwrap();
    let child = sb
        .run("tool")
        .arg("drop")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    p.exp_string("Type the id to approve").unwrap();
    let id = await_pending_id(&sb);
    p.send_line(&id).unwrap();
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string(&format!("granted {id}")).unwrap();
    p.exp_string("watching for pending requests").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn a_hundred_parallel_shims_and_hooks_share_the_state_without_losing_anything() {
    use std::io::Write as _;
    use std::process::Stdio;
    let sb = sandbox();
    approve(&sb, &["allow", "--", "tool", "drop"]);
    // 40 shims race for the one-use grant, 30 shims and 30 hooks each record a pending
    // request of their own; every one writes the audit log.
    let quiet = |mut c: std::process::Command| {
        c.stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    let mut children = Vec::new();
    for i in 0..100 {
        let (cmd, input) = match i % 10 {
            0..=3 => (quiet(sb.run("tool")).arg("drop").spawn().unwrap(), None),
            4..=6 => (
                quiet(sb.run("tool"))
                    .args(["drop", &format!("--shim={i}")])
                    .spawn()
                    .unwrap(),
                None,
            ),
            _ => {
                let mut c = quiet(sb.guard());
                c.args(["hook", "claude"]);
                let command = format!("tool drop --hook={i}");
                let input = crate::hooks::payload("claude", &command, sb.root.path());
                (c.spawn().unwrap(), Some(input))
            }
        };
        children.push((i, cmd, input));
    }
    let mut codes = Vec::new();
    for (i, mut child, input) in children {
        if let Some(input) = input {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        } else {
            drop(child.stdin.take());
        }
        codes.push((i, child.wait().unwrap().code()));
    }
    let ran: Vec<_> = codes.iter().filter(|(_, c)| *c == Some(0)).collect();
    assert_eq!(ran.len(), 1, "{codes:?}");
    assert!(ran[0].0 % 10 <= 3, "{codes:?}");
    assert!(
        codes
            .iter()
            .filter(|(i, _)| i % 10 >= 7)
            .all(|(_, c)| *c == Some(2)),
        "{codes:?}"
    );
    assert_eq!(sb.runs("tool"), 1);
    // The state file is whole, the grant used up, and every request recorded once.
    let text = std::fs::read_to_string(sb.path("home/.local/state/guard/grants.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(state["grants"].as_array().unwrap().len(), 0, "{state}");
    let pending = state["pending"].to_string();
    for i in (0..100).filter(|i| i % 10 >= 4) {
        let flag = if i % 10 <= 6 { "shim" } else { "hook" };
        // Shown as `tool drop '--shim=4'` in the request's command.
        let needle = format!("'--{flag}={i}'\"");
        assert_eq!(
            pending.matches(&needle).count(),
            1,
            "request {i} lost or doubled: {pending}"
        );
    }
    // One whole audit line per call: none torn, none interleaved.
    let log = std::fs::read_to_string(sb.path("home/.local/state/guard/audit.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("torn line {l:?}: {e}")))
        .collect();
    let by_hook = lines.iter().filter(|l| l["layer"] == "hook").count();
    assert_eq!(by_hook, 30, "{log}");
    assert_eq!(lines.len() - by_hook, 70, "{log}");
}
