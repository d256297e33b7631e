//! `guard install`, `uninstall` and `env` put shims in place and PATH in order.

use crate::sandbox::{Sandbox, stdout};
use assert_cmd::prelude::*;
use predicates::str::contains;

#[test]
fn install_creates_symlinks_to_guard_and_uninstall_removes_them() {
    let sb = Sandbox::new();
    sb.fake_tool("railway");
    sb.guard()
        .args(["install", "railway"])
        .assert()
        .success()
        .stdout(contains("guarding railway"));
    let link = sb.shims().join("railway");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    sb.guard().args(["install", "railway"]).assert().success();
    sb.guard().args(["uninstall", "railway"]).assert().success();
    assert!(std::fs::symlink_metadata(&link).is_err());
}

#[test]
fn install_refuses_to_overwrite_a_file_that_is_not_a_shim() {
    let sb = Sandbox::new();
    sb.write("shims/psql", "mine");
    sb.guard()
        .args(["install", "psql"])
        .assert()
        .failure()
        .stderr(contains("is not a guard shim"));
    assert_eq!(
        std::fs::read_to_string(sb.shims().join("psql")).unwrap(),
        "mine"
    );
}

#[test]
fn install_all_shims_only_tools_the_rules_name_that_exist() {
    let sb = Sandbox::new();
    sb.fake_tool("railway");
    sb.user_rules("x.yaml", "tools: [railway, absent-tool]\nrules: []\n");
    sb.guard().args(["install", "--all"]).assert().success();
    assert!(sb.shims().join("railway").exists());
    assert!(!sb.shims().join("absent-tool").exists());
}

#[test]
fn install_rejects_names_that_are_not_tools() {
    let sb = Sandbox::new();
    for bad in ["../x", "guard", "a/b"] {
        sb.guard().args(["install", bad]).assert().failure();
    }
}

#[test]
fn env_prepends_the_shim_dir_for_bash_and_fish() {
    let sb = Sandbox::new();
    let out = sb.guard().args(["env"]).output().unwrap();
    assert_eq!(
        stdout(&out),
        format!("export PATH={}:\"$PATH\"\n", sb.shims().display())
    );
    let out = sb
        .guard()
        .args(["env", "--shell", "fish"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out),
        format!("set -gx PATH {} $PATH\n", sb.shims().display())
    );
}

#[test]
fn env_output_works_in_a_real_shell() {
    let sb = Sandbox::new();
    sb.fake_tool("tool");
    sb.install(&["tool"]);
    let guard = assert_cmd::cargo::cargo_bin("guard");
    let script = format!("eval \"$('{}' env)\"; command -v tool", guard.display());
    let out = std::process::Command::new("/bin/sh")
        .args(["-c", &script])
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", sb.path("bin").display()),
        )
        .env("GUARD_SHIM_DIR", sb.shims())
        .output()
        .unwrap();
    assert_eq!(
        stdout(&out).trim(),
        sb.shims().join("tool").display().to_string()
    );
}
