//! `guard run`: the program's whole tree finds the shims first and is marked as a session;
//! guard adopts orphans while it runs, relays termination, and exits with the program's status.

use crate::sandbox::{Sandbox, stderr, stdout};
use std::time::{Duration, Instant};

/// PATH without the shim directory, as an agent's login shell might set it.
fn without_shims(sb: &Sandbox) -> std::ffi::OsString {
    std::env::join_paths([sb.path("bin"), "/usr/bin".into(), "/bin".into()]).unwrap()
}

fn guard_run(sb: &Sandbox, script: &str) -> std::process::Command {
    let mut cmd = sb.guard();
    cmd.args(["run", "--", "sh", "-c", script])
        .env("PATH", without_shims(sb));
    cmd
}

/// Wait until `path` exists (a child's "ready"), at most 10 s.
fn await_file(path: &std::path::Path) {
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_program_finds_the_shims_first_and_its_status_comes_back() {
    let sb = Sandbox::guarding("tool");
    let out = guard_run(&sb, "command -v tool; exit 7").output().unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("{}\n", sb.shims().join("tool").display())
    );
}

#[test]
fn a_shim_call_inside_is_recorded_as_the_session() {
    let sb = Sandbox::guarding("tool");
    let out = guard_run(&sb, "tool status").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sb.runs("tool"), 1);
    let log = sb.guard().args(["log", "--json"]).output().unwrap();
    let entries: Vec<serde_json::Value> = stdout(&log)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");
    let session = entries[0]["agent"].as_str().unwrap();
    assert!(session.starts_with("guard run session "), "{session}");
    assert_eq!(entries[0]["tool"], "guard");
    assert_eq!(entries[1]["tool"], "tool");
    assert_eq!(entries[1]["agent"], session);
}

#[test]
fn an_orphan_is_adopted_by_guard_while_the_program_runs() {
    let sb = Sandbox::guarding("tool");
    let out_file = sb.path("adopted-by");
    // The grandchild outlives its parent, then reports who adopted it.
    // The grandchild outlives its parent (the subshell, a `sh`), waits until it is adopted,
    // then reports who adopted it; the program runs until it has.
    sb.write_exe(
        "orphan.sh",
        "#!/bin/sh\n( sh -c 'parent() { cut -d\" \" -f4 /proc/$$/stat; }; \
         while [ \"$(cat /proc/$(parent)/comm)\" = sh ]; do sleep 0.01; done; \
         parent > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"' \"$1\" & )\n\
         while [ ! -e \"$1\" ]; do sleep 0.01; done\n",
    );
    let mut cmd = sb.guard();
    cmd.args(["run", "--", "sh"])
        .arg(sb.path("orphan.sh"))
        .arg(&out_file);
    let mut child = cmd.spawn().unwrap();
    let guard_pid = child.id();
    await_file(&out_file);
    assert!(child.wait().unwrap().success());
    let adopted = std::fs::read_to_string(&out_file).unwrap();
    assert_eq!(
        adopted.trim(),
        guard_pid.to_string(),
        "reparented to guard, not init"
    );
}

#[test]
fn sigterm_to_guard_reaches_the_program_and_its_status_comes_back() {
    let sb = Sandbox::guarding("tool");
    let ready = sb.path("ready");
    let mut cmd = guard_run(
        &sb,
        &format!(
            "trap 'exit 42' TERM; touch '{}'; while :; do sleep 0.05; done",
            ready.display()
        ),
    );
    let mut child = cmd.spawn().unwrap();
    await_file(&ready);
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(42));
}

#[test]
fn a_program_that_is_not_found_exits_127() {
    let sb = Sandbox::guarding("tool");
    let out = sb
        .guard()
        .args(["run", "--", "no-such-program-here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(127), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot start no-such-program-here"),
        "{}",
        stderr(&out)
    );
}
