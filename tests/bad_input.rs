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

/// `sh -c SCRIPT` in the sandbox.
fn sh(sb: &Sandbox, script: &str) -> std::process::Output {
    sb.sandboxed(Command::new("sh"))
        .args(["-c", script])
        .output()
        .unwrap()
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
    let out = sh(&sb, &script);
    clean(&stderr(&out));
    assert!(out.status.success(), "{}", stderr(&out));
    // stdin and stdout closed.
    let script = format!("'{}' status <&- >&-", sb.shims().join("tool").display());
    let out = sh(&sb, &script);
    clean(&stderr(&out));
    // `guard explain` with stdout closed: an error, not a panic.
    let script = format!(
        "'{}' explain -- tool status >&-",
        assert_cmd::cargo::cargo_bin("guard").display()
    );
    let out = sh(&sb, &script);
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

// ---- rows a privileged test runner would pass by accident, and durability ----

/// A sandbox whose guard runs unprivileged: as root (CI runs the suite as root, and root reads
/// files whatever their mode) every call is made as uid/gid 65534, with a copy of guard and the
/// whole sandbox handed to that user; otherwise as the user running the tests.
struct Unprivileged {
    sb: Sandbox,
    uid: Option<u32>,
}

impl Unprivileged {
    fn new() -> Unprivileged {
        let sb = Sandbox::new();
        sb.fake_tool("tool");
        let root = nix::unistd::geteuid().is_root();
        // The build directory may not be reachable by another user (a checkout under /root).
        let copy = sb.path("guard-bin/guard");
        std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
        std::fs::copy(assert_cmd::cargo::cargo_bin("guard"), &copy).unwrap();
        // A child another test forks at this moment can hold the copy's write descriptor
        // until it execs (ETXTBSY): try again.
        let out = (0..50)
            .find_map(|_| {
                match sb
                    .sandboxed(Command::new(&copy))
                    .args(["install", "tool"])
                    .output()
                {
                    Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) => {
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        None
                    }
                    other => Some(other.unwrap()),
                }
            })
            .expect("the copy of guard stayed busy");
        assert!(out.status.success(), "{}", stderr(&out));
        sb.user_rules("t.yaml", RULE);
        Unprivileged {
            sb,
            uid: root.then_some(65534),
        }
    }

    /// Hand every file of the sandbox to the unprivileged user (after the test set it up).
    fn hand_over(&self) {
        let Some(uid) = self.uid else { return };
        let mut todo = vec![self.sb.root.path().to_path_buf()];
        while let Some(p) = todo.pop() {
            std::os::unix::fs::lchown(&p, Some(uid), Some(uid)).unwrap();
            if p.is_dir() && !p.is_symlink() {
                todo.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            }
        }
    }

    fn as_user(&self, mut cmd: Command) -> Command {
        use std::os::unix::process::CommandExt as _;
        if let Some(uid) = self.uid {
            cmd.uid(uid).gid(uid);
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.as_user(self.sb.run("tool"))
            .args(args)
            .output()
            .unwrap()
    }

    fn guard(&self, args: &[&str]) -> std::process::Output {
        let copy = self.sb.path("guard-bin/guard");
        self.as_user(self.sb.sandboxed(Command::new(copy)))
            .args(args)
            .output()
            .unwrap()
    }
}

fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn rule_file_unreadable() {
    let u = Unprivileged::new();
    let file = u.sb.path("home/.config/guard/rules/t.yaml");
    u.hand_over();
    set_mode(&file, 0o000);
    let out = u.run(&["status"]);
    let err = stderr(&out);
    clean(&err);
    assert_eq!(out.status.code(), Some(126), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert!(err.contains("guard lint"), "no hint: {err}");
    assert_eq!(u.sb.runs("tool"), 0);
    let lint = u.guard(&["lint"]);
    assert_eq!(lint.status.code(), Some(1), "{}", stdout(&lint));
    assert!(
        stdout(&lint).contains(&file.display().to_string()),
        "{}",
        stdout(&lint)
    );
}

#[test]
fn state_file_unreadable() {
    let u = Unprivileged::new();
    let grants =
        u.sb.write("home/.local/state/guard/grants.json", "{\"version\": 1}");
    u.hand_over();
    set_mode(&grants, 0o000);
    let out = u.run(&["drop"]);
    let err = stderr(&out);
    clean(&err);
    assert_eq!(out.status.code(), Some(126), "{err}");
    assert!(err.contains("grants.json"), "{err}");
    assert_eq!(u.sb.runs("tool"), 0);
}

/// A one-use grant for `tool drop`, made by a human at a terminal (before the sandbox is
/// handed over).
fn granted(sb: &Sandbox) {
    crate::allow::approve(sb, &["allow", "--", "tool", "drop"]);
}

#[test]
fn state_directory_read_only_refuses_and_keeps_the_grant() {
    let u = Unprivileged::new();
    granted(&u.sb);
    u.hand_over();
    let state = u.sb.path("home/.local/state/guard");
    set_mode(&state, 0o500);
    let out = u.run(&["drop"]);
    let err = stderr(&out);
    clean(&err);
    assert_eq!(out.status.code(), Some(126), "{err}");
    assert!(err.contains(&state.display().to_string()), "{err}");
    assert_eq!(u.sb.runs("tool"), 0);
    // Writable again: the grant was neither lost nor used, and it runs exactly once.
    set_mode(&state, 0o700);
    assert_eq!(u.run(&["drop"]).status.code(), Some(0));
    assert_eq!(u.run(&["drop"]).status.code(), Some(126));
    assert_eq!(u.sb.runs("tool"), 1);
}

#[test]
fn disk_full_refuses_and_keeps_the_grant() {
    use std::os::unix::process::CommandExt as _;
    let sb = Sandbox::guarding("tool").with_rules("t.yaml", RULE);
    granted(&sb);
    // Files may not grow past 16 bytes: every write of state or log fails as on a full disk
    // (EFBIG; SIGXFSZ ignored, so the write returns the error as ENOSPC would).
    let mut cmd = sb.run("tool");
    // SAFETY: setrlimit and signal are async-signal-safe; nothing else runs before exec.
    unsafe {
        cmd.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 16,
                rlim_max: 16,
            };
            libc::setrlimit(libc::RLIMIT_FSIZE, &limit);
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            Ok(())
        });
    }
    let out = cmd.arg("drop").output().unwrap();
    let err = stderr(&out);
    clean(&err);
    assert_eq!(out.status.code(), Some(126), "{err}");
    assert!(err.contains("too large") || err.contains("space"), "{err}");
    assert_eq!(sb.runs("tool"), 0);
    the_grant_runs_exactly_once(&sb);
}

/// The grant `granted` made, neither lost nor used by what came before: `tool drop` runs once.
fn the_grant_runs_exactly_once(sb: &Sandbox) {
    let code = || sb.run("tool").arg("drop").output().unwrap().status.code();
    assert_eq!(code(), Some(0));
    assert_eq!(code(), Some(126));
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn passphrase_file_corrupt() {
    let sb = Sandbox::guarding("tool").with_rules("t.yaml", RULE);
    // A grant to use: checking it needs the passphrase's signing key.
    granted(&sb);
    let file = sb.write(
        "home/.config/guard/passphrase",
        "$argon2id$garbage\nnot a key\n",
    );
    let out = sb.run("tool").arg("drop").output().unwrap();
    let err = stderr(&out);
    clean(&err);
    assert_eq!(out.status.code(), Some(126), "{err}");
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn kill_9_in_the_middle_of_a_state_write_leaves_the_previous_state() {
    let sb = Sandbox::guarding("tool").with_rules("t.yaml", RULE);
    granted(&sb);
    let grants = sb.path("home/.local/state/guard/grants.json");
    // Each refused call records a pending request (a synced write of the whole state);
    // killed at a random moment, the file is the one before or the one after, never a part.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut killed_before_end = 0;
    for i in 0..150 {
        let mut child = sb
            .run("tool")
            .args(["drop", &format!("--n={i}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        std::thread::sleep(std::time::Duration::from_micros(rng % 6000));
        if child.try_wait().unwrap().is_none() {
            killed_before_end += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read(&grants).unwrap();
        let state: serde_json::Value = serde_json::from_slice(&text)
            .unwrap_or_else(|e| panic!("after kill {i}: {e}: {}", String::from_utf8_lossy(&text)));
        let live = state["grants"].as_array().unwrap();
        assert_eq!(live.len(), 1, "after kill {i}: the grant is gone: {state}");
    }
    assert!(
        killed_before_end > 10,
        "only {killed_before_end} calls were still running"
    );
    // The grant made before all that still works, once.
    the_grant_runs_exactly_once(&sb);
}

#[test]
fn a_loop_of_shims_across_two_directories_ends_cleanly() {
    // Shims for `tool` in two directories on PATH and no real `tool` anywhere: each shim
    // must see the other as guard, not as the tool, and stop.
    let sb = Sandbox::new();
    sb.install(&["tool"]);
    let other = sb.path("more-shims");
    std::fs::create_dir_all(&other).unwrap();
    let out = sb
        .guard()
        .env("GUARD_SHIM_DIR", &other)
        .args(["install", "tool"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    for path in [
        std::env::join_paths([sb.shims(), other.clone()]).unwrap(),
        std::env::join_paths([other.clone(), sb.shims()]).unwrap(),
    ] {
        let started = std::time::Instant::now();
        let out = sb
            .run("tool")
            .env("PATH", &path)
            .arg("status")
            .output()
            .unwrap();
        let err = stderr(&out);
        clean(&err);
        assert_eq!(out.status.code(), Some(127), "{err}");
        assert!(err.contains("tool"), "{err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn hook_payload_nested_thousands_deep_is_never_silence() {
    let sb = Sandbox::guarding("railway");
    let deep = [
        // $( … ) inside $( … ), 1,000 deep, a destructive command at the bottom.
        format!(
            "{}railway volume delete -v pg{}",
            "echo $(".repeat(1000),
            ")".repeat(1000)
        ),
        // Backticks cannot nest without escapes; escaped ones, 12 levels (2^12 backslashes).
        (0..12).fold("railway down -y".to_string(), |inner, _| {
            format!("echo `{}`", inner.replace('\\', "\\\\").replace('`', "\\`"))
        }),
        // Subshells and groups, 5,000 deep.
        format!("{}railway down -y{}", "( ".repeat(5000), " )".repeat(5000)),
        format!("{}railway down -y;{}", "{ ".repeat(3000), " }".repeat(3000)),
        // Nested `((`, on which the parser backtracks exponentially (minutes, unbounded),
        // after a destructive command.
        format!("railway down -y; {}x{}", "((".repeat(20), "))".repeat(20)),
    ];
    for command in deep {
        let started = std::time::Instant::now();
        let out = hook(&sb, "claude", &payload("claude", &command, sb.root.path()));
        let took = started.elapsed();
        clean(&String::from_utf8_lossy(&out.stderr));
        let silent = out.status.code() == Some(0) && out.stdout.is_empty();
        assert!(
            !silent,
            "silence for {}…",
            &command[..60.min(command.len())]
        );
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{:?}: {}",
            out.status,
            stderr(&out)
        );
        // The agents' hook timeouts are 10 s (as installed) to 60 s.
        assert!(took < std::time::Duration::from_secs(5), "took {took:?}");
    }
}
