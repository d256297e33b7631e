//! `confirm` rules ask the human at the terminal, on /dev/tty, for a typed answer.

use crate::sandbox::{Sandbox, pty, pty_exit, stderr};
use std::process::Command;

const CONFIRM: &str = r#"
tools: [tool]
value_flags: [--volume]
rules:
  - id: test.migrate
    action: confirm
    reason: Changes the production schema.
    match: {command: [migrate]}
    examples: ["tool migrate"]
  - id: test.volume.delete
    action: confirm
    reason: Deletes a volume.
    challenge: target
    target: [--volume]
    match: {command: [volume, delete]}
    examples: ["tool volume delete --volume pg-data"]
  - id: test.reset
    action: confirm
    reason: Resets everything.
    challenge: code
    match: {command: [reset]}
    examples: ["tool reset"]
"#;

fn sandbox() -> Sandbox {
    Sandbox::guarding("tool").with_rules("confirm.yaml", CONFIRM)
}

/// `sh -c SCRIPT` on a pty, in the sandbox: the shim's stdin can then differ from its terminal.
fn shell(sb: &Sandbox, script: &str) -> Command {
    let mut cmd = sb.with_env(Command::new("/bin/sh"));
    cmd.args(["-c", script]);
    cmd
}

#[test]
fn the_right_answer_runs_the_tool_and_its_stdin_arrives_intact() {
    let sb = sandbox();
    let data: Vec<u8> = (0..=255u8).chain([0, 0xff, b'\n']).collect();
    sb.write("dump.sql", "");
    std::fs::write(sb.path("dump.sql"), &data).unwrap();
    let shim = sb.shims().join("tool");
    let mut p = pty(shell(
        &sb,
        &format!("exec '{}' migrate < dump.sql", shim.display()),
    ));
    p.exp_string("tool migrate").unwrap();
    p.exp_string("confirm test.migrate: Changes the production schema.")
        .unwrap();
    p.exp_string("Type yes to run it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("fake tool ran").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(pty_exit(&p), Some(0));
    assert_eq!(sb.runs("tool"), 1);
    assert_eq!(sb.recorded_stdin("tool"), data);
}

#[test]
fn a_wrong_answer_refuses_and_restores_the_terminal() {
    let sb = sandbox();
    let shim = sb.shims().join("tool");
    let mut p = pty(shell(
        &sb,
        &format!("'{}' migrate; echo status=$?; stty -a", shim.display()),
    ));
    p.exp_string("Type yes to run it").unwrap();
    p.send_line("y").unwrap();
    p.exp_string("not confirmed: the answer did not match")
        .unwrap();
    p.exp_string("status=126").unwrap();
    let settings = p.exp_eof().unwrap();
    assert!(
        settings.contains(" icanon") && settings.contains(" echo"),
        "{settings}"
    );
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn ctrl_c_and_ctrl_d_refuse() {
    let sb = sandbox();
    let shim = sb.shims().join("tool");
    for (key, why) in [('c', "interrupted (Ctrl-C)"), ('d', "no answer (Ctrl-D)")] {
        let mut p = pty(shell(
            &sb,
            &format!("'{}' migrate; echo status=$?", shim.display()),
        ));
        p.exp_string("Type yes to run it").unwrap();
        p.send_control(key).unwrap();
        p.exp_string(why).unwrap();
        p.exp_string("status=126").unwrap();
    }
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn no_answer_within_the_timeout_refuses() {
    let sb = sandbox();
    sb.write("home/.config/guard/config.yaml", "confirm_timeout: 1s\n");
    let shim = sb.shims().join("tool");
    let mut p = pty(shell(
        &sb,
        &format!("'{}' migrate; echo status=$?", shim.display()),
    ));
    p.exp_string("Type yes to run it (1 s").unwrap();
    p.exp_string("no answer within 1 s").unwrap();
    p.exp_string("status=126").unwrap();
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_target_challenge_wants_the_name_of_what_is_destroyed() {
    let sb = sandbox();
    let shim = sb.shims().join("tool");
    let line = format!(
        "'{}' volume delete --volume pg-data < /dev/null; echo status=$?",
        shim.display()
    );
    let mut p = pty(shell(&sb, &line));
    p.exp_string("Type pg-data to run it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("status=126").unwrap();
    let mut p = pty(shell(&sb, &line));
    p.exp_string("Type pg-data to run it").unwrap();
    p.send_line("pg-data").unwrap();
    p.exp_string("status=0").unwrap();
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn a_code_challenge_wants_the_random_code_shown() {
    let sb = sandbox();
    let shim = sb.shims().join("tool");
    let mut p = pty(shell(
        &sb,
        &format!("'{}' reset < /dev/null; echo status=$?", shim.display()),
    ));
    let (_, code) = p.exp_regex("Type the code [A-Z0-9]{4}").unwrap();
    let code = code.trim_start_matches("Type the code ").to_string();
    p.send_line(&code).unwrap();
    p.exp_string("status=0").unwrap();
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn without_a_terminal_confirm_refuses_at_once_and_says_how_to_approve() {
    let sb = sandbox();
    let out = assert_cmd::Command::from_std(sb.run("tool"))
        .arg("migrate")
        .timeout(std::time::Duration::from_secs(10))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126));
    assert!(
        stderr(&out).contains("no terminal is available"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("guard allow "), "{}", stderr(&out));
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_confirmed_run_is_audited_as_approved_at_the_terminal() {
    let sb = sandbox();
    let shim = sb.shims().join("tool");
    let mut p = pty(shell(
        &sb,
        &format!("'{}' migrate < /dev/null; echo status=$?", shim.display()),
    ));
    p.exp_string("Type yes to run it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("status=0").unwrap();
    let out = sb.guard().args(["log", "--json"]).output().unwrap();
    let entry: serde_json::Value =
        serde_json::from_str(crate::sandbox::stdout(&out).trim()).unwrap();
    assert_eq!(entry["decision"], "confirm");
    assert_eq!(entry["outcome"], "ran");
    assert_eq!(entry["approved_by"], "tty");
    assert!(
        entry["tty"]
            .as_str()
            .is_some_and(|t| t.starts_with("/dev/pts/")),
        "{entry}"
    );
}

#[test]
fn confirmations_ask_for_the_passphrase_when_config_says_so() {
    let sb = sandbox();
    sb.write(
        "home/.config/guard/config.yaml",
        "confirm_with_passphrase: true\n",
    );
    let shim = sb.shims().join("tool");
    let line = format!("'{}' migrate < /dev/null; echo status=$?", shim.display());
    // None set yet: refuse rather than fall back to a plain yes.
    let mut p = pty(shell(&sb, &line));
    p.exp_string("run `guard passphrase set`").unwrap();
    p.exp_string("status=126").unwrap();
    let hash = {
        let mut cmd = sb.with_env(Command::new(assert_cmd::cargo::cargo_bin("guard")));
        cmd.args(["passphrase", "set"]);
        let mut s = pty(cmd);
        s.exp_string("New passphrase: ").unwrap();
        s.send_line("open sesame 42").unwrap();
        s.exp_string("Repeat it: ").unwrap();
        s.send_line("open sesame 42").unwrap();
        s.exp_eof().unwrap();
        std::fs::read_to_string(sb.path("home/.config/guard/passphrase")).unwrap()
    };
    assert!(hash.starts_with("$argon2"));
    let mut p = pty(shell(&sb, &line));
    p.exp_string("Type yes to run it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("Passphrase: ").unwrap();
    p.send_line("open sesame 41").unwrap();
    p.exp_string("status=126").unwrap();
    let mut p = pty(shell(&sb, &line));
    p.exp_string("Type yes to run it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("Passphrase: ").unwrap();
    p.send_line("open sesame 42").unwrap();
    p.exp_string("status=0").unwrap();
    assert_eq!(sb.runs("tool"), 1);
}

/// The pid a test's shell printed as `pid=N`.
fn pid_shown(p: &mut rexpect::session::PtySession) -> i32 {
    let (_, m) = p.exp_regex("pid=[0-9]+").unwrap();
    m["pid=".len()..].parse().unwrap()
}

/// The process whose parent is `parent` (the shim a test's shell started), once it is there.
fn child_of(parent: i32) -> i32 {
    for _ in 0..200 {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
            let after = &stat[stat.rfind(')').unwrap() + 2..];
            if after.split(' ').nth(1) == Some(&parent.to_string()) {
                return pid;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no child of {parent}");
}

#[test]
fn sigterm_sighup_or_sigint_while_the_prompt_waits_refuses_and_restores_the_terminal() {
    use nix::sys::signal::{Signal, kill};
    let sb = sandbox();
    let shim = sb.shims().join("tool");
    for signal in [Signal::SIGTERM, Signal::SIGHUP, Signal::SIGINT] {
        let mut p = pty(shell(
            &sb,
            &format!(
                "echo pid=$$; '{}' migrate; echo status=$?; stty -a",
                shim.display()
            ),
        ));
        let shell_pid = pid_shown(&mut p);
        p.exp_string("Type yes to run it").unwrap();
        let shim_pid = child_of(shell_pid);
        kill(nix::unistd::Pid::from_raw(shim_pid), signal).unwrap();
        p.exp_string(&format!("interrupted by {}", signal.as_str()))
            .unwrap();
        p.exp_string("status=126").unwrap();
        let settings = p.exp_eof().unwrap();
        assert!(
            settings.contains(" icanon") && settings.contains(" echo"),
            "{signal}: the terminal was left changed: {settings}"
        );
    }
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn the_terminal_closed_mid_prompt_refuses_without_hanging() {
    let sb = sandbox();
    let shim = sb.shims().join("tool");
    let mut p = pty(shell(
        &sb,
        &format!("echo pid=$$; exec '{}' migrate", shim.display()),
    ));
    let pid = nix::unistd::Pid::from_raw(pid_shown(&mut p));
    p.exp_string("Type yes to run it").unwrap();
    // Closing the terminal's master side hangs it up.
    drop(p);
    for _ in 0..500 {
        if nix::sys::signal::kill(pid, None).is_err() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        nix::sys::signal::kill(pid, None).is_err(),
        "the shim still waits on a closed terminal"
    );
    assert_eq!(sb.runs("tool"), 0);
}
