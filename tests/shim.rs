//! The shim runs the real tool untouched when allowed, refuses when not, and fails closed.

use crate::sandbox::{Sandbox, stderr};
use assert_cmd::prelude::*;
use predicates::str::contains;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::process::Stdio;

const DENY_DROP: &str = r#"
tools: [tool]
rules:
  - id: test.drop
    action: deny
    reason: Drops everything.
    match: {command: [drop]}
    examples: ["tool drop"]
"#;

fn sandbox_with_tool() -> Sandbox {
    Sandbox::guarding("tool").with_rules("test.yaml", DENY_DROP)
}

#[test]
fn allowed_command_runs_the_real_tool_and_passes_its_exit_status() {
    let sb = sandbox_with_tool();
    sb.run("tool")
        .args(["status", "--json"])
        .env("FAKE_EXIT", "42")
        .assert()
        .code(42)
        .stdout("fake tool ran\n");
    assert_eq!(sb.runs("tool"), 1);
    assert_eq!(
        sb.recorded_argv("tool"),
        [b"status".to_vec(), b"--json".to_vec()]
    );
}

#[test]
fn the_real_tool_replaces_guard_instead_of_running_as_its_child() {
    let sb = sandbox_with_tool();
    let child = sb
        .run("tool")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let status = child.wait_with_output().unwrap().status;
    assert!(status.success());
    let recorded = std::fs::read_to_string(sb.path("calls/tool.pid")).unwrap();
    assert_eq!(
        recorded.trim(),
        pid.to_string(),
        "the tool must have guard's pid (exec)"
    );
}

#[test]
fn stdin_bytes_reach_the_tool_unchanged() {
    let sb = sandbox_with_tool();
    let data: Vec<u8> = (0..=255u8).chain([0, 0xff, b'\n', 0]).collect();
    let mut child = sb
        .run("tool")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(sb.recorded_stdin("tool"), data);
}

#[test]
fn non_utf8_arguments_reach_the_tool_byte_exact() {
    let sb = sandbox_with_tool();
    let odd = OsString::from_vec(vec![b'a', 0xff, 0xfe, b'z']);
    let spaced = OsString::from("two words\ttab");
    sb.run("tool")
        .arg(&odd)
        .arg(&spaced)
        .arg("")
        .assert()
        .success();
    assert_eq!(
        sb.recorded_argv("tool"),
        [odd.as_bytes().to_vec(), spaced.as_bytes().to_vec(), vec![]]
    );
}

#[test]
fn a_denied_command_is_refused_with_the_rule_and_never_runs() {
    let sb = sandbox_with_tool();
    sb.run("tool")
        .args(["drop", "--now"])
        .assert()
        .code(126)
        .stderr(contains("guard: refused: tool drop --now"))
        .stderr(contains("deny    test.drop: Drops everything."))
        .stderr(contains("home/.config/guard/rules/test.yaml:4"));
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_denied_non_utf8_command_is_refused_without_crashing() {
    let sb = sandbox_with_tool();
    sb.run("tool")
        .arg("drop")
        .arg(OsString::from_vec(vec![0xff]))
        .assert()
        .code(126);
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_broken_user_rule_file_refuses_and_names_file_line_and_column() {
    let sb = sandbox_with_tool();
    let file = sb.user_rules(
        "broken.yaml",
        "tools: [tool]\nrules:\n  - id: x\n    acton: deny\n",
    );
    sb.run("tool")
        .arg("status")
        .assert()
        .code(126)
        .stderr(contains(format!("{}:4:5: error[G002]", file.display())))
        .stderr(contains("unknown field `acton`"))
        .stderr(contains("guard lint"));
    assert_eq!(sb.runs("tool"), 0);
    let log = sb.guard().args(["log", "--json"]).output().unwrap();
    let entry: serde_json::Value =
        serde_json::from_str(crate::sandbox::stdout(&log).trim()).unwrap();
    assert_eq!(entry["decision"], "error");
    assert_eq!(entry["outcome"], "refused");
    assert!(
        entry["refused_because"]
            .as_str()
            .unwrap()
            .contains("unknown field `acton`")
    );
}

#[test]
fn a_bad_regex_is_reported_where_it_is_written() {
    let sb = sandbox_with_tool();
    let yaml = "tools: [tool]\nrules:\n  - id: bad.re\n    action: deny\n    reason: r\n    match:\n      arg: 'a('\n";
    let file = sb.user_rules("re.yaml", yaml);
    sb.run("tool").assert().code(126).stderr(contains(format!(
        "{}:7:12: error[G005] rule bad.re: invalid regex `a(`",
        file.display()
    )));
}

#[test]
fn a_rule_file_whose_tools_cannot_be_read_refuses_every_tool() {
    let sb = sandbox_with_tool();
    sb.user_rules("other.yaml", "tools:\n  - other\nrules: [");
    sb.run("tool")
        .assert()
        .code(126)
        .stderr(contains("other.yaml"));
    assert_eq!(sb.runs("tool"), 0);
}

#[test]
fn a_broken_rule_file_refuses_its_own_tools_and_fails_lint() {
    let sb = sandbox_with_tool();
    sb.fake_tool("other");
    sb.install(&["other"]);
    sb.user_rules("other.yaml", "tools: [other]\nrules: [");
    sb.run("other")
        .assert()
        .code(126)
        .stderr(contains("other.yaml"));
    sb.guard().arg("lint").assert().code(1);
    // `tool`'s shim does not parse a file that names only `other`.
    sb.run("tool").assert().success();
}

#[test]
fn a_large_rule_file_for_other_tools_is_not_read_through() {
    let sb = sandbox_with_tool();
    // Its `tools:` line is in the first 4 KiB; past that it is not even UTF-8. The shim for
    // `tool` skips it from its first line; lint, which reads every file whole, refuses it.
    let mut text = b"tools: [other]\nrules:\n".to_vec();
    text.resize(64 * 1024, b'#');
    text.extend_from_slice(b"\n\xff\xfe\n");
    std::fs::write(sb.path("home/.config/guard/rules/other.yaml"), text).unwrap();
    sb.run("tool").arg("status").assert().success();
    sb.guard()
        .arg("lint")
        .assert()
        .code(1)
        .stdout(contains("other.yaml"));
}

#[test]
fn a_tools_line_past_the_first_4_kib_is_still_read() {
    let sb = Sandbox::new();
    sb.fake_tool("tool");
    sb.install(&["tool"]);
    let header = format!("# {}\n", "x".repeat(100)).repeat(50);
    sb.user_rules("late.yaml", &format!("{header}{DENY_DROP}"));
    sb.run("tool").arg("drop").assert().code(126);
    assert_eq!(sb.runs("tool"), 0);
    sb.run("tool").arg("status").assert().success();
}

#[test]
fn a_corrupt_config_refuses() {
    let sb = sandbox_with_tool();
    sb.write("home/.config/guard/config.yaml", "disable: {not: a list}\n");
    sb.run("tool")
        .assert()
        .code(126)
        .stderr(contains("config.yaml:1"));
}

#[test]
fn disable_in_config_switches_a_rule_off() {
    let sb = sandbox_with_tool();
    sb.write("home/.config/guard/config.yaml", "disable: [test.drop]\n");
    sb.run("tool").arg("drop").assert().success();
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn duplicate_ids_across_layers_refuse() {
    let sb = sandbox_with_tool();
    sb.write("etc/rules/dup.yaml", DENY_DROP);
    sb.run("tool")
        .assert()
        .code(126)
        .stderr(contains("duplicate rule id `test.drop`"));
}

#[test]
fn the_shim_dir_twice_on_path_still_finds_the_real_tool() {
    let sb = sandbox_with_tool();
    let path =
        std::env::join_paths([sb.shims(), sb.shims(), sb.path("bin"), "/usr/bin".into()]).unwrap();
    sb.run("tool").env("PATH", path).assert().success();
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn a_second_shim_dir_reached_through_a_symlink_is_skipped() {
    let sb = sandbox_with_tool();
    std::os::unix::fs::symlink(sb.shims(), sb.path("shims-link")).unwrap();
    let copy = sb.path("more-shims");
    std::fs::create_dir(&copy).unwrap();
    std::os::unix::fs::symlink(sb.shims().join("tool"), copy.join("tool")).unwrap();
    let path = std::env::join_paths([sb.path("shims-link"), copy, sb.path("bin")]).unwrap();
    sb.run("tool").env("PATH", path).assert().success();
    assert_eq!(sb.runs("tool"), 1);
}

#[test]
fn a_missing_real_tool_exits_127_naming_the_skipped_shim_dir() {
    let sb = Sandbox::new();
    sb.install(&["ghost"]);
    sb.run("ghost").assert().code(127).stderr(contains(format!(
        "guard: ghost: real command not found on PATH (after skipping {})",
        sb.shims().display()
    )));
}

#[test]
fn a_shim_that_is_the_only_candidate_does_not_exec_itself() {
    let sb = sandbox_with_tool();
    sb.run("tool").env("PATH", sb.shims()).assert().code(127);
}

#[test]
fn a_wrapper_that_calls_back_into_the_shim_ends_with_a_loop_error() {
    let sb = Sandbox::new();
    // A "real" tool that calls `loopy` by name again: without the depth marker this recurses forever.
    sb.write_exe("bin/loopy", "#!/bin/sh\nexec loopy \"$@\"\n");
    sb.install(&["loopy"]);
    assert_cmd::Command::from_std(sb.run("loopy"))
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .code(126)
        .stderr(contains("shim loop"));
}

#[test]
fn signals_that_kill_the_tool_reach_the_caller() {
    use std::os::unix::process::ExitStatusExt;
    let sb = Sandbox::new();
    sb.write_exe("bin/victim", "#!/bin/sh\nkill -TERM $$\n");
    sb.install(&["victim"]);
    let status = sb.run("victim").status().unwrap();
    assert_eq!(status.signal(), Some(15));
}

/// The SIGPIPE bit of `/proc/PID/status`'s SigIgn mask, as the tool saw it.
fn tool_ignores_sigpipe(out: &std::process::Output) -> bool {
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = line.split_whitespace().nth(1);
    let mask = field.and_then(|m| u64::from_str_radix(m, 16).ok());
    let mask = mask.unwrap_or_else(|| panic!("no SigIgn line: {line} {}", stderr(out)));
    mask & (1 << (13 - 1)) != 0
}

#[test]
fn sigpipe_reaches_the_tool_as_guard_inherited_it() {
    let sb = Sandbox::new();
    sb.write_exe("bin/sigs", "#!/bin/sh\ngrep SigIgn /proc/$$/status\n");
    sb.install(&["sigs"]);
    let out = sb.run("sigs").output().unwrap();
    assert!(
        !tool_ignores_sigpipe(&out),
        "default SIGPIPE must stay default"
    );
    // A caller that ignores SIGPIPE (as some agents' runtimes do) passes that on, as it would
    // without guard in between.
    let mut cmd = sb.sandboxed(std::process::Command::new("sh"));
    cmd.arg("-c").arg(format!(
        "trap '' PIPE; exec {}",
        sb.shims().join("sigs").display()
    ));
    let out = cmd.output().unwrap();
    assert!(
        tool_ignores_sigpipe(&out),
        "an ignored SIGPIPE must stay ignored"
    );
}

#[test]
fn an_env_rule_sees_the_callers_environment() {
    let sb = Sandbox::new();
    sb.fake_tool("terraform");
    sb.install(&["terraform"]);
    sb.run("terraform")
        .arg("apply")
        .env("TF_CLI_ARGS_apply", "-destroy")
        .assert()
        .code(126)
        .stderr(contains("terraform.env.apply.destroy"));
    assert_eq!(sb.runs("terraform"), 0);
    sb.run("terraform")
        .arg("apply")
        .env("TF_CLI_ARGS_apply", "-no-color")
        .assert()
        .success();
    assert_eq!(sb.runs("terraform"), 1);
}
