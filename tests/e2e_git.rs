//! The real git behind the shim: a force push to a (local, bare) remote needs a human's
//! confirmation; ordinary commands run untouched.

use crate::sandbox::{Sandbox, pty, pty_exit, stderr, stdout};
use assert_cmd::prelude::*;
use std::process::Command;

fn git(sb: &Sandbox, dir: &std::path::Path, args: &[&str]) {
    let out = sb
        .with_env(Command::new("/usr/bin/git"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

#[test]
fn a_force_push_needs_confirmation_and_status_passes() {
    let sb = Sandbox::new();
    sb.install(&["git"]);
    let remote = sb.path("remote.git");
    let work = sb.path("work");
    std::fs::create_dir_all(&work).unwrap();
    git(
        &sb,
        sb.root.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            remote.to_str().unwrap(),
        ],
    );
    git(&sb, &work, &["init", "-q", "-b", "main"]);
    for args in [
        ["config", "user.email", "t@example.com"],
        ["config", "user.name", "T"],
    ] {
        git(&sb, &work, &args);
    }
    git(
        &sb,
        &work,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    std::fs::write(work.join("a"), "1").unwrap();
    git(&sb, &work, &["add", "a"]);
    git(&sb, &work, &["commit", "-qm", "one"]);
    git(&sb, &work, &["push", "-q", "origin", "main"]);
    git(&sb, &work, &["commit", "-q", "--amend", "-m", "rewritten"]);
    let remote_head = || {
        let out = sb
            .with_env(Command::new("/usr/bin/git"))
            .args(["rev-parse", "main"])
            .current_dir(&remote)
            .output()
            .unwrap();
        stdout(&out).trim().to_string()
    };
    let before = remote_head();

    // Through the shim, without a terminal: refused, the remote untouched.
    let out = sb
        .run("git")
        .args(["push", "--force", "origin", "main"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(stderr(&out).contains("git.push.force"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("needs a human's confirmation"),
        "{}",
        stderr(&out)
    );
    let out = sb
        .run("git")
        .args(["push", "origin", "+main"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert_eq!(remote_head(), before);

    // At a terminal, a human confirms and the real git pushes.
    let mut cmd = sb.with_env(Command::new(sb.shims().join("git")));
    cmd.args(["push", "-q", "--force", "origin", "main"])
        .current_dir(&work);
    let mut p = pty(cmd);
    p.exp_string("Type yes to run it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(pty_exit(&p), Some(0));
    assert_ne!(remote_head(), before);

    // Ordinary commands pass straight through to the real git.
    sb.run("git")
        .arg("status")
        .current_dir(&work)
        .assert()
        .success()
        .stdout(predicates::str::contains("On branch main"));
    // A lease push to a working branch passes; to a protected one (the confirm tier) it asks.
    git(&sb, &work, &["checkout", "-qb", "feature"]);
    sb.run("git")
        .args(["push", "-q", "--force-with-lease", "origin", "feature"])
        .current_dir(&work)
        .assert()
        .success();
    let out = sb
        .run("git")
        .args(["push", "--force-with-lease", "origin", "main"])
        .current_dir(&work)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(stderr(&out).contains("git.push.force-with-lease.protected"));
}
