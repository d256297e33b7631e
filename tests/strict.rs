//! `guard run --strict`: every exec of the tree judged, whatever path, environment or program
//! started it; the argv-rewrite race never runs what guard did not see; the escapes around an
//! exec filter are refused; the tree dies with its supervisor. Fake tools as in the rest of the
//! suite; small C programs (tests/strict/*.c, compiled here with the machine's gcc) for what a
//! shell cannot do.

use crate::sandbox::{Sandbox, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `guard run --strict -- sh -c SCRIPT` in `sb` (no terminal, as an agent runs).
fn strict(sb: &Sandbox, script: &str) -> Output {
    sb.guard()
        .args(["run", "--strict", "--", "sh", "-c", script])
        .output()
        .unwrap()
}

/// Whether this kernel gives strict mode what it needs. Where it does not, strict mode must
/// refuse to start, saying why: that is asserted, and the caller's test ends there.
fn available(sb: &Sandbox) -> bool {
    let out = strict(sb, "true");
    if out.status.success() {
        return true;
    }
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(126), "{err}");
    assert!(
        err.contains("run --strict:") && !err.contains("panicked"),
        "strict mode neither ran nor refused cleanly: {err}"
    );
    eprintln!("strict mode is not available on this kernel: {err}");
    false
}

/// A sandbox with a fake `railway` in bin/ and no shims: the gate alone decides.
fn sandbox() -> Sandbox {
    let sb = Sandbox::new();
    sb.fake_tool("railway");
    sb
}

/// `tests/strict/NAME.c`, compiled once per test into the sandbox.
fn compile(sb: &Sandbox, name: &str, extra: &[&str]) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/strict/{name}.c"));
    let out = sb.path(&format!("bin/{name}"));
    let status = Command::new("gcc")
        .args(["-O1", "-o"])
        .arg(&out)
        .arg(&src)
        .args(extra)
        .status()
        .expect("gcc (scripts/test installs it)");
    assert!(status.success(), "gcc {name}.c");
    out
}

#[test]
fn every_way_of_starting_a_destructive_command_is_refused_and_harmless_ones_run() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    let tool = sb.path("bin/railway");
    let bin = sb.path("bin");
    sb.write(
        "Makefile",
        "delete:\n\trailway volume delete -v pg-data\nstatus:\n\trailway status\n",
    );
    // A symlink to the tool under another name.
    let alias = sb.path("bin/deploy-helper");
    std::os::unix::fs::symlink(&tool, &alias).unwrap();
    let forms = [
        format!("{} ARGS", tool.display()),
        format!("{} ARGS", alias.display()),
        format!("env -i PATH={}:/usr/bin:/bin FAKE_EXIT=3 railway ARGS", bin.display()),
        "python3 -c 'import subprocess, shlex, sys; sys.exit(subprocess.run([\"railway\"] + shlex.split(\"ARGS\")).returncode)'".to_string(),
        "echo ARGS | xargs railway".to_string(),
    ];
    for form in &forms {
        let destructive = form.replace("ARGS", "volume delete -v pg-data");
        let out = strict(&sb, &destructive);
        assert_ne!(
            out.status.code(),
            Some(0),
            "{destructive}: {}",
            stderr(&out)
        );
        assert!(
            stderr(&out).contains("railway.volume.delete"),
            "{destructive}: {}",
            stderr(&out)
        );
        assert_eq!(sb.runs("railway"), 0, "{destructive} ran");
    }
    let out = strict(&sb, "make -s delete");
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(sb.runs("railway"), 0, "the Makefile recipe ran");
    // Harmless: run, with the tool's own stdin, output and exit status.
    for (i, form) in forms.iter().enumerate() {
        let harmless = format!("echo in-{i} | {}", form.replace("ARGS", "status"));
        let harmless = if form.contains("xargs") {
            "echo status | xargs railway".to_string()
        } else {
            harmless
        };
        let out = strict(&sb, &format!("FAKE_EXIT=3; export FAKE_EXIT; {harmless}"));
        // (xargs reports a command's failure as its own 123.)
        let want = if form.contains("xargs") { 123 } else { 3 };
        assert_eq!(
            out.status.code(),
            Some(want),
            "{harmless}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).contains("fake railway ran"), "{harmless}");
        if !form.contains("xargs") {
            assert_eq!(sb.recorded_stdin("railway"), format!("in-{i}\n").as_bytes());
        }
        assert_eq!(sb.recorded_argv("railway"), [b"status".to_vec()]);
    }
    let out = strict(&sb, "make -s status");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_shebang_script_is_judged_by_its_own_name_and_runs_its_interpreter() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    // The fake railway is itself a `#!/bin/sh` script; a chain of two more scripts too.
    sb.write_exe(
        "bin/inner",
        "#!/bin/sh\nexec \"$(dirname \"$0\")/railway\" \"$@\"\n",
    );
    let out = strict(
        &sb,
        &format!("{} volume delete -v x", sb.path("bin/inner").display()),
    );
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(sb.runs("railway"), 0);
    let out = strict(&sb, &format!("{} status", sb.path("bin/inner").display()));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sb.runs("railway"), 1);
}

#[test]
fn the_argv_rewrite_race_never_runs_what_guard_did_not_see() {
    let sb = Sandbox::new();
    if !available(&sb) {
        return;
    }
    let race = compile(&sb, "race", &["-pthread"]);
    // A tool that logs each run's arguments: `railway logs` is allowed; `railway down` would
    // need a human (and there is none here).
    let log = sb.path("runs.log");
    sb.write_exe(
        "bin/railway",
        &format!("#!/bin/sh\necho \"$*\" >> '{}'\n", log.display()),
    );
    let tool = sb.path("bin/railway");
    for mode in ["fork", "vfork"] {
        let _ = std::fs::remove_file(&log);
        let mut cmd = sb.guard();
        cmd.args(["run", "--strict", "--"])
            .arg(&race)
            .arg(&tool)
            .args(["logs", "down", "1000"]);
        if mode == "vfork" {
            cmd.arg("vfork");
        }
        let out = cmd.output().unwrap();
        let ran = std::fs::read_to_string(&log).unwrap_or_default();
        let safe = ran.lines().filter(|l| *l == "logs").count();
        let evil = ran.lines().filter(|l| *l == "down").count();
        let killed = stderr(&out).matches("killed process").count();
        eprintln!(
            "{mode}: {safe} safe runs, {evil} rewritten runs, {killed} killed at the exec stop"
        );
        assert_eq!(evil, 0, "{mode}: a rewritten argv ran");
        assert!(safe > 0, "{mode}: nothing ran at all: {}", stderr(&out));
    }
}

#[test]
fn the_escapes_around_an_exec_filter_are_refused() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    // Non-PIE: the 32-bit call needs the program's data below 4 GiB.
    let escapes = compile(&sb, "escapes", &["-no-pie"]);
    let e = escapes.display();
    let tool = sb.path("bin/railway");
    for (script, what) in [
        (format!("{e} int80 {} down", tool.display()), "int $0x80"),
        (format!("{e} untraced"), "CLONE_UNTRACED"),
        (format!("{e} clone3"), "clone3"),
        (
            format!("{e} memfd {} railway volume delete -v x", tool.display()),
            "a memfd exec",
        ),
    ] {
        let out = strict(&sb, &script);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{what}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        assert!(stdout(&out).contains("refused"), "{what}: {}", stdout(&out));
    }
    assert_eq!(sb.runs("railway"), 0);
    // A memfd exec of something harmless runs (and passes the verifier).
    let out = strict(&sb, &format!("{e} memfd {} railway status", tool.display()));
    assert_eq!(sb.runs("railway"), 1, "{}", stderr(&out));
    // A new user namespace (where the tree could gain ptrace rights over itself).
    let out = strict(&sb, "unshare -U true");
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn the_tree_dies_with_its_supervisor() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    let marker = sb.path("after");
    let mut child = sb
        .guard()
        .args(["run", "--strict", "--", "sh", "-c"])
        .arg(format!("sleep 2; touch '{}'", marker.display()))
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = child.wait();
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(!marker.exists(), "the tree outlived guard and ran on");
}

#[test]
fn a_refused_exec_approved_with_guard_allow_runs_once() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    let command = format!(
        "{} volume delete -v pg-data",
        sb.path("bin/railway").display()
    );
    let out = strict(&sb, &command);
    let err = stderr(&out);
    let id = regex::Regex::new(r"guard allow ([0-9a-f]{6})")
        .unwrap()
        .captures(&err)
        .unwrap_or_else(|| panic!("no pending request: {err}"))[1]
        .to_string();
    let mut p = crate::allow::guard_on_pty(&sb, &["allow", &id]);
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_eof().unwrap();
    let out = strict(&sb, &command);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sb.runs("railway"), 1);
    let out = strict(&sb, &command);
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(sb.runs("railway"), 1);
    // The audit log says which layer decided.
    let log = stdout(
        &sb.guard()
            .args(["log", "--json", "-n", "3"])
            .output()
            .unwrap(),
    );
    assert!(log.contains("\"layer\":\"strict\""), "{log}");
}

#[test]
fn shims_inside_a_strict_session_decide_once_and_guard_run_cannot_nest() {
    let sb = Sandbox::guarding("railway");
    if !available(&sb) {
        return;
    }
    // Through the shim (first on PATH): allowed, run once, no second judgement in the way.
    let out = strict(&sb, "railway status");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(sb.runs("railway"), 1);
    let out = strict(&sb, "railway volume delete -v pg-data");
    assert_ne!(out.status.code(), Some(0));
    assert_eq!(sb.runs("railway"), 1);
    // A nested `guard run` would start a tree this supervisor does not see.
    let guard = assert_cmd::cargo::cargo_bin("guard");
    let out = strict(&sb, &format!("'{}' run -- railway status", guard.display()));
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("inside a strict session"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_confirm_holds_the_exec_until_the_human_at_the_terminal_answers() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    let tool = sb.path("bin/railway");
    let script = format!("{} down < /dev/null; echo status=$?", tool.display());
    // The human answers yes at guard's prompt: the held exec runs, once.
    let mut p = crate::allow::guard_on_pty(&sb, &["run", "--strict", "--", "sh", "-c", &script]);
    p.exp_string("railway down").unwrap();
    p.exp_string("Type yes to run it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_string("status=0").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(sb.runs("railway"), 1);
    // Anything else refuses it: the exec fails, nothing runs.
    let mut p = crate::allow::guard_on_pty(&sb, &["run", "--strict", "--", "sh", "-c", &script]);
    p.exp_string("Type yes to run it").unwrap();
    p.send_line("no").unwrap();
    p.exp_string("status=126").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(sb.runs("railway"), 1);
}

#[test]
fn signals_reach_the_tree_as_they_would_without_guard() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    // Handled signals (delivered through the tracer) and a stop and continue of a child.
    let out = strict(
        &sb,
        "trap 'echo got-usr1' USR1; kill -USR1 $$; sleep 5 & p=$!; kill -STOP $p; kill -CONT $p; kill -TERM $p; wait $p; echo child=$?",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("got-usr1"), "{}", stdout(&out));
    assert!(stdout(&out).contains("child=143"), "{}", stdout(&out));
    // A signal that kills the program is its exit status, as a shell reports it.
    let out = strict(&sb, "kill -KILL $$");
    assert_eq!(out.status.code(), Some(137));
}

#[test]
fn a_parallel_build_runs_to_the_end() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    // make -j2 vforks, forks and execs in parallel; guard must follow every task and end
    // when the build does (a bounded wait: a hang fails the test, not CI).
    let targets: Vec<String> = (1..=300).map(|i| format!("t{i}")).collect();
    sb.write(
        "Makefile",
        &format!("all: {0}\n{0}:\n\t@/bin/true\n", targets.join(" ")),
    );
    let guard = assert_cmd::cargo::cargo_bin("guard");
    let out = sb
        .sandboxed(Command::new("timeout"))
        .arg("60")
        .arg(guard)
        .args(["run", "--strict", "--", "make", "-s", "-j2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn the_dynamic_loader_is_a_wrapper_not_a_way_around() {
    let sb = Sandbox::new();
    if !available(&sb) {
        return;
    }
    // A real ELF program named railway (the loader runs only ELF programs).
    compile(&sb, "race", &["-pthread"]);
    std::fs::rename(sb.path("bin/race"), sb.path("bin/railway")).unwrap();
    let loader = ["/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux-aarch64.so.1"]
        .into_iter()
        .find(|l| Path::new(l).exists())
        .expect("the system's dynamic loader");
    let tool = sb.path("bin/railway");
    for script in [
        format!("{loader} {} volume delete -v pg-data", tool.display()),
        format!(
            "{loader} --inhibit-cache --argv0 x {} volume delete -v pg-data",
            tool.display()
        ),
    ] {
        let out = strict(&sb, &script);
        assert_ne!(out.status.code(), Some(0), "{script}");
        assert!(
            stderr(&out).contains("railway.volume.delete"),
            "{script}: {}",
            stderr(&out)
        );
    }
    // Allowed through the loader: the program runs (it exits 64 on too few arguments).
    let out = strict(&sb, &format!("{loader} {} status", tool.display()));
    assert_eq!(out.status.code(), Some(64), "{}", stderr(&out));
}

#[test]
fn with_approval_wait_a_held_exec_runs_once_a_human_allows_it() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    sb.write("home/.config/guard/config.yaml", "approval_wait: 30s\n");
    let child = sb
        .guard()
        .args(["run", "--strict", "--", "sh", "-c"])
        .arg(format!("{} down", sb.path("bin/railway").display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let id = crate::allow::await_pending_id(&sb);
    crate::allow::approve(&sb, &["allow", &id]);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("guard allow {id}")),
        "{}",
        stderr(&out)
    );
    assert_eq!(sb.runs("railway"), 1);
}

#[test]
fn shim_hook_and_strict_mode_decide_alike_and_the_log_says_which_decided() {
    let sb = sandbox();
    if !available(&sb) {
        return;
    }
    let tool = sb.path("bin/railway");
    for (args, want) in [
        ("volume delete -v pg-data", "deny"),
        ("down", "confirm"),
        ("status", "allow"),
    ] {
        // The shim's decision (explain is the shim's own decision, without running).
        let explain = sb
            .guard()
            .args(["explain", "--json", "--", "railway"])
            .args(args.split(' '))
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&explain.stdout).unwrap();
        assert_eq!(v["decision"], want, "shim: {args}");
        // The hook's.
        let command = format!("{} {args}", tool.display());
        let out = crate::hooks::hook(
            &sb,
            "claude",
            &crate::hooks::payload("claude", &command, sb.root.path()),
        );
        let hook = match (out.status.code(), out.stdout.is_empty()) {
            (Some(2), _) => "deny",
            (Some(0), true) => "allow",
            (Some(0), false) => "confirm",
            other => panic!("{other:?}"),
        };
        assert_eq!(hook, want, "hook: {args}");
        // Strict mode's: it runs only what is allowed (no human here to confirm).
        let before = sb.runs("railway");
        let out = strict(&sb, &format!("{command} < /dev/null"));
        let ran = sb.runs("railway") > before;
        assert_eq!(ran, want == "allow", "strict: {args}: {}", stderr(&out));
    }
    let log = stdout(
        &sb.guard()
            .args(["log", "--json", "-n", "50"])
            .output()
            .unwrap(),
    );
    assert!(
        log.contains("\"layer\":\"hook\"") && log.contains("\"layer\":\"strict\""),
        "{log}"
    );
    assert!(log.contains("\"outcome\":\"asked\""), "{log}");
}

/// Generated command lines for three packs: a start that means something to the pack (or
/// nothing), then real words from its rules in any order.
fn generated_command()
-> impl proptest::strategy::Strategy<Value = (&'static str, Vec<&'static str>)> {
    use proptest::prelude::*;
    fn tool(
        name: &'static str,
        starts: Vec<Vec<&'static str>>,
        words: Vec<&'static str>,
    ) -> impl Strategy<Value = (&'static str, Vec<&'static str>)> {
        (
            prop::sample::select(starts),
            prop::collection::vec(prop::sample::select(words), 0..4),
        )
            .prop_map(move |(mut start, rest)| {
                start.extend(rest);
                (name, start)
            })
    }
    prop_oneof![
        tool(
            "railway",
            vec![
                vec!["volume", "delete"],
                vec!["down"],
                vec!["status"],
                vec!["up"],
                vec!["redeploy"],
                vec![],
            ],
            vec![
                "-v",
                "pg-data",
                "-y",
                "-e",
                "production",
                "service",
                "logs",
                "variables",
                "--set",
                "A=1",
                "--help",
                "delete",
                "volume",
            ],
        ),
        tool(
            "psql",
            vec![vec!["-c"], vec!["-d", "prod", "-c"], vec![]],
            vec![
                "DROP TABLE users",
                "SELECT 1",
                "DELETE FROM t WHERE id = 1",
                "DELETE FROM t",
                "-h",
                "localhost",
                "--help",
                "UPDATE t SET a = 1",
                "-c",
            ],
        ),
        tool(
            "kubectl",
            vec![
                vec!["delete", "ns"],
                vec!["delete", "pod"],
                vec!["scale"],
                vec!["rollout", "restart"],
                vec!["get", "pods"],
                vec![],
            ],
            vec![
                "web-0",
                "prod",
                "--context",
                "kind-dev",
                "-n",
                "--replicas=0",
                "deployment/web",
                "--dry-run=client",
                "--help",
            ],
        ),
    ]
}

#[test]
fn explain_the_shim_a_hook_and_strict_mode_decide_alike_for_any_generated_command() {
    use proptest::test_runner::{Config, TestCaseError, TestRunner};
    let sb = Sandbox::new();
    for tool in ["railway", "psql", "kubectl"] {
        sb.fake_tool(tool);
    }
    sb.install(&["railway", "psql", "kubectl"]);
    if !available(&sb) {
        return;
    }
    let last_logged = |sb: &Sandbox| -> serde_json::Value {
        let log = sb
            .guard()
            .args(["log", "--json", "-n", "1"])
            .output()
            .unwrap();
        serde_json::from_slice(&log.stdout).unwrap()
    };
    let mut runner = TestRunner::new(Config::with_cases(128));
    // Which decisions the cases reached: the property must not hold only vacuously.
    let seen = std::cell::RefCell::new(std::collections::BTreeMap::<String, usize>::new());
    runner
        .run(&generated_command(), |(tool, args)| {
            let fail = |what: &str, got: &str, want: &str| {
                Err(TestCaseError::fail(format!(
                    "{tool} {args:?}: {what} said {got}, explain {want}"
                )))
            };
            let explain = sb
                .guard()
                .args(["explain", "--json", "--", tool])
                .args(&args)
                .output()
                .unwrap();
            let v: serde_json::Value = serde_json::from_slice(&explain.stdout).unwrap();
            let want = v["decision"].as_str().unwrap().to_string();
            *seen.borrow_mut().entry(want.clone()).or_default() += 1;
            // Runs only what is allowed (no human here), and what it refused is logged with
            // the same decision.
            let ran_as_decided = |layer: &str, before: usize| {
                let ran = sb.runs(tool) > before;
                if ran != (want == "allow") {
                    return fail(layer, if ran { "ran" } else { "refused" }, &want);
                }
                let logged = last_logged(&sb)["decision"].to_string();
                if !ran && logged != format!("\"{want}\"") {
                    return fail(&format!("{layer}'s log"), &logged, &want);
                }
                Ok(())
            };
            // The shim.
            let before = sb.runs(tool);
            sb.run(tool).args(&args).output().unwrap();
            ran_as_decided("the shim", before)?;
            // A hook, given the line with the real tool's path (no shim on the way).
            let line = shlex::try_join(
                std::iter::once(sb.path(&format!("bin/{tool}")).to_str().unwrap())
                    .chain(args.iter().copied()),
            )
            .unwrap();
            let out = crate::hooks::hook(
                &sb,
                "claude",
                &crate::hooks::payload("claude", &line, sb.root.path()),
            );
            let hook = match (out.status.code(), out.stdout.is_empty()) {
                (Some(2), _) => "deny",
                (Some(0), true) => "allow",
                (Some(0), false) => "confirm",
                _ => "a failure",
            };
            if hook != want {
                return fail("the hook", hook, &want);
            }
            // Strict mode, the same line exec'd inside the tree.
            let before = sb.runs(tool);
            strict(&sb, &format!("{line} < /dev/null"));
            ran_as_decided("strict mode", before)
        })
        .unwrap();
    let seen = seen.into_inner();
    eprintln!("decisions reached: {seen:?}");
    assert!(seen.len() == 3, "only {seen:?} reached");
}
