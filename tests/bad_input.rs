//! The bad-input matrix: every input guard could be handed that is broken, huge, hostile or
//! strange, one row per test. Each asserts the command did not run unless the row says it
//! should, that no panic text or backtrace reaches anyone, and what the message says.

use crate::hooks::{hook, payload};
use crate::sandbox::{Sandbox, fed, stderr, stdout};
use std::os::unix::ffi::OsStrExt as _;
use std::process::{Command, Stdio};

/// No panic text, no backtrace, in anything guard printed.
fn clean(text: &str) {
    for bad in ["panicked", "RUST_BACKTRACE", "stack backtrace"] {
        assert!(!text.contains(bad), "{bad} in: {text}");
    }
}

/// A sandbox guarding `tool` with a rule file `NAME` in the user's rules directory, then a
/// call of `tool status`: refused (126), the file named, the tool not run; lint agrees.
fn broken_rules(name: &str, bytes: &[u8]) {
    let sb = Sandbox::guarding("tool");
    let file = sb.path(&format!("home/.config/guard/rules/{name}"));
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, bytes).unwrap();
    refused_naming(&sb, &file);
}

fn refused_naming(sb: &Sandbox, file: &std::path::Path) {
    let out = sb.run("tool").arg("status").output().unwrap();
    let err = stderr(&out);
    clean(&err);
    assert_eq!(out.status.code(), Some(126), "{err}");
    let shown = file.display().to_string();
    assert!(err.contains(&shown), "{err}");
    assert!(err.contains("guard lint"), "no hint: {err}");
    assert_eq!(sb.runs("tool"), 0);
    let lint = sb.guard().arg("lint").output().unwrap();
    assert_eq!(lint.status.code(), Some(1), "{}", stdout(&lint));
    assert!(stdout(&lint).contains(&shown), "{}", stdout(&lint));
}

const RULE: &str = "tools: [tool]\nrules:\n  - id: t.drop\n    action: deny\n    reason: r\n    match: {command: [drop]}\n    examples: [tool drop]\n";

#[test]
fn rule_file_yaml_syntax_error() {
    broken_rules("x.yaml", b"tools: [tool]\nrules: [\n");
}

#[test]
fn rule_file_unknown_key() {
    broken_rules("x.yaml", RULE.replace("action", "acton").as_bytes());
}

#[test]
fn rule_file_wrong_type() {
    broken_rules("x.yaml", b"tools: [tool]\nrules: 7\n");
}

#[test]
fn rule_file_bad_regex() {
    broken_rules(
        "x.yaml",
        RULE.replace("{command: [drop]}", "{arg: '('}").as_bytes(),
    );
}

#[test]
fn rule_file_duplicate_id() {
    let twice = format!("{RULE}{}", &RULE[RULE.find("  - id").unwrap()..]);
    broken_rules("x.yaml", twice.as_bytes());
}

#[test]
fn rule_file_empty() {
    broken_rules("x.yaml", b"");
}

#[test]
fn rule_file_binary_garbage() {
    broken_rules(
        "x.yaml",
        &[0xff, 0xfe, 0x00, 0x01, 0x9b, b'\n', 0x1b, b'[', b'2', b'J'],
    );
}

#[test]
fn rule_file_of_ten_megabytes() {
    let mut big = b"tools: [tool]\n".to_vec();
    big.extend(std::iter::repeat_n(b"# padding\n".as_slice(), 1 << 20).flatten());
    broken_rules("x.yaml", &big);
}

#[test]
fn rule_file_symlink_loop() {
    let sb = Sandbox::guarding("tool");
    let dir = sb.path("home/.config/guard/rules");
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(dir.join("b.yaml"), dir.join("a.yaml")).unwrap();
    std::os::unix::fs::symlink(dir.join("a.yaml"), dir.join("b.yaml")).unwrap();
    refused_naming(&sb, &dir.join("a.yaml"));
}

#[test]
fn rule_file_that_is_a_directory() {
    let sb = Sandbox::guarding("tool");
    let dir = sb.path("home/.config/guard/rules/x.yaml");
    std::fs::create_dir_all(&dir).unwrap();
    refused_naming(&sb, &dir);
}

/// A denied command with a grant for it, then the state broken: refused, the file named,
/// never "allowed because the state could not be read".
fn broken_state(write: impl FnOnce(&std::path::Path)) {
    let sb = Sandbox::guarding("tool").with_rules("t.yaml", RULE);
    let state = sb.path("home/.local/state/guard");
    std::fs::create_dir_all(&state).unwrap();
    write(&state.join("grants.json"));
    let out = sb.run("tool").arg("drop").output().unwrap();
    let err = stderr(&out);
    clean(&err);
    assert_eq!(out.status.code(), Some(126), "{err}");
    assert!(err.contains("grants.json"), "{err}");
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn state_file_corrupt() {
    broken_state(|f| std::fs::write(f, "{\"version\": 1, \"grants\": [").unwrap());
}

#[test]
fn state_file_wrong_json_type() {
    broken_state(|f| std::fs::write(f, "[1, 2, 3]").unwrap());
}

#[test]
fn state_file_empty() {
    broken_state(|f| std::fs::write(f, "").unwrap());
}

#[test]
fn state_file_is_a_directory() {
    broken_state(|f| std::fs::create_dir(f).unwrap());
}

#[test]
fn audit_log_that_cannot_be_written_refuses_even_an_allowed_call() {
    let sb = Sandbox::guarding("tool");
    std::fs::create_dir_all(sb.path("home/.local/state/guard/audit.jsonl")).unwrap();
    let out = sb.run("tool").arg("status").output().unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(stderr(&out).contains("audit log"), "{}", stderr(&out));
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn argv_bytes_reach_the_tool_unchanged_however_odd() {
    use std::ffi::OsStr;
    let sb = Sandbox::guarding("tool");
    let odd: Vec<&OsStr> = vec![
        OsStr::from_bytes(b"\xff\xfe not utf-8"),
        OsStr::new(""),
        OsStr::new("--"),
        OsStr::new("line\nbreak"),
        OsStr::new("\x1b[2J\x1b[1;1Hcleared"),
    ];
    let out = sb.run("tool").args(&odd).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let want: Vec<Vec<u8>> = odd.iter().map(|a| a.as_bytes().to_vec()).collect();
    assert_eq!(sb.recorded_argv("tool"), want);
    // A 128 KiB argument, and 20,000 arguments.
    // (Linux takes one argument of at most 128 KiB with its NUL.)
    let big = "x".repeat((128 << 10) - 1);
    let out = sb.run("tool").arg(&big).output().unwrap();
    assert!(out.status.success());
    assert_eq!(sb.recorded_argv("tool"), [big.into_bytes()]);
    let many: Vec<String> = (0..20_000).map(|i| i.to_string()).collect();
    let out = sb.run("tool").args(&many).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.recorded_argv("tool").len(), 20_000);
}

#[test]
fn escapes_in_a_refused_command_are_shown_escaped_everywhere() {
    let sb = Sandbox::guarding("tool").with_rules("t.yaml", RULE);
    let evil = "\x1b[2K\x1b[1Asafe\nline";
    let out = sb.run("tool").args(["drop", evil]).output().unwrap();
    assert_eq!(out.status.code(), Some(126));
    let err = stderr(&out);
    assert!(!err.contains('\x1b') && err.contains("\\e[2K"), "{err:?}");
    let log = stdout(&sb.guard().args(["log"]).output().unwrap());
    assert!(!log.contains('\x1b'), "{log:?}");
    let explain = sb
        .guard()
        .args(["explain", "--", "tool", "drop", evil])
        .output()
        .unwrap();
    assert!(!stdout(&explain).contains('\x1b'), "{:?}", stdout(&explain));
    let input = payload("claude", &format!("tool drop '{evil}'"), sb.root.path());
    let out = hook(&sb, "claude", &input);
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains('\x1b'), "{:?}", stderr(&out));
}

#[test]
fn hook_payload_with_a_key_twice_is_denied() {
    let sb = Sandbox::new();
    let twice = r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t","tool_input":{"command":"ls","command":"railway volume delete -v x"}}"#;
    let out = hook(&sb, "claude", twice);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("appears twice"), "{}", stderr(&out));
}

#[test]
fn hook_payload_not_utf8_or_with_ten_thousand_commands_is_never_silence() {
    let sb = Sandbox::new();
    let mut bad = payload("claude", "ls", sb.root.path()).into_bytes();
    let at = bad.windows(2).position(|w| w == b"ls").unwrap();
    bad[at] = 0xff;
    let mut cmd = sb.guard();
    cmd.args(["hook", "claude"]);
    let out = fed(cmd, bad);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let many = vec!["true"; 10_000].join(";");
    for agent in ["claude", "codex"] {
        let out = hook(&sb, agent, &payload(agent, &many, sb.root.path()));
        clean(&stderr(&out));
        let silent = out.status.code() == Some(0) && out.stdout.is_empty();
        assert!(!silent, "{agent}: a 50 KB command was waved through");
    }
}

#[test]
fn hook_answer_on_a_closed_stdout_is_a_deny_not_a_signal() {
    let sb = Sandbox::new();
    // An ask must be written to stdout; with stdout closed it becomes a deny (exit 2).
    let input = payload("claude", "git push --force", sb.root.path());
    let mut cmd = sb.guard();
    cmd.args(["hook", "claude"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    drop(child.stdout.take());
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("could not write"), "{}", stderr(&out));
}

#[test]
fn strange_environments_give_clear_errors() {
    let sb = Sandbox::guarding("tool");
    // PATH empty, unset, or only the shims: no real tool to run (127), said so.
    for path in [Some(""), None, Some(sb.shims().to_str().unwrap())] {
        let mut cmd = sb.run("tool");
        cmd.arg("status");
        match path {
            Some(p) => cmd.env("PATH", p),
            None => cmd.env_remove("PATH"),
        };
        let out = cmd.output().unwrap();
        clean(&stderr(&out));
        assert_eq!(out.status.code(), Some(127), "{path:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("tool"), "{}", stderr(&out));
    }
    // A relative entry is searched from the current directory, as a shell would.
    let out = sb
        .run("tool")
        .arg("status")
        .env("PATH", "bin:/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // HOME unset, XDG variables naming files, TERM=dumb, NO_COLOR: it still decides and runs.
    let file = sb.write("not-a-dir", "x");
    let out = sb
        .run("tool")
        .arg("status")
        .env_remove("HOME")
        .env("XDG_CACHE_HOME", &file)
        .env("TERM", "dumb")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // A rules layer that is a file is a layer that cannot be read: refused, said where.
    let out = sb
        .run("tool")
        .arg("status")
        .env("XDG_CONFIG_HOME", &file)
        .output()
        .unwrap();
    clean(&stderr(&out));
    assert_eq!(out.status.code(), Some(126));
    assert!(
        stderr(&out).contains("not-a-dir/guard/rules"),
        "{}",
        stderr(&out)
    );
    let out = sb
        .run("tool")
        .arg("drop")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(!stderr(&out).contains('\x1b'));
}

#[test]
fn odd_processes_give_clear_errors_or_run_correctly() {
    let sb = Sandbox::guarding("tool");
    // The caller's directory deleted under it.
    let gone = sb.path("gone");
    std::fs::create_dir_all(&gone).unwrap();
    let script = format!(
        "cd '{}' && rmdir '{}' && '{}' status",
        gone.display(),
        gone.display(),
        sb.shims().join("tool").display()
    );
    let out = sb
        .sandboxed(Command::new("sh"))
        .args(["-c", &script])
        .output()
        .unwrap();
    clean(&stderr(&out));
    assert!(out.status.success(), "{}", stderr(&out));
    // stdin and stdout closed.
    let script = format!("'{}' status <&- >&-", sb.shims().join("tool").display());
    let out = sb
        .sandboxed(Command::new("sh"))
        .args(["-c", &script])
        .output()
        .unwrap();
    clean(&stderr(&out));
    // `guard explain` with stdout closed: an error, not a panic.
    let script = format!(
        "'{}' explain -- tool status >&-",
        assert_cmd::cargo::cargo_bin("guard").display()
    );
    let out = sb
        .sandboxed(Command::new("sh"))
        .args(["-c", &script])
        .output()
        .unwrap();
    clean(&stderr(&out));
    // A shim reached through a relative path and through a symlink to a symlink.
    std::os::unix::fs::symlink(sb.shims().join("tool"), sb.path("link1")).unwrap();
    std::os::unix::fs::symlink(sb.path("link1"), sb.path("tool")).unwrap();
    let out = sb
        .sandboxed(Command::new("./tool"))
        .arg("status")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}
