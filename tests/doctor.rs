//! `guard doctor`: a sound sandbox passes; each fault planted in a broken one is found, with
//! its fix.

use crate::sandbox::{Sandbox, stderr, stdout};
use std::os::unix::fs::PermissionsExt as _;

fn doctor(sb: &Sandbox, path: Option<std::ffi::OsString>) -> (Option<i32>, Vec<serde_json::Value>) {
    let mut cmd = sb.guard();
    cmd.args(["doctor", "--json"]);
    if let Some(path) = path {
        cmd.env("PATH", path);
    }
    let out = cmd.output().unwrap();
    let checks: serde_json::Value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
    (out.status.code(), checks.as_array().unwrap().clone())
}

/// The status of the first check named `name` whose detail contains `detail`.
fn status<'a>(checks: &'a [serde_json::Value], name: &str, detail: &str) -> Option<&'a str> {
    checks
        .iter()
        .find(|c| c["check"] == name && c["detail"].as_str().unwrap().contains(detail))
        .map(|c| c["status"].as_str().unwrap())
}

#[test]
fn a_sound_set_up_passes_and_says_what_is_left() {
    let sb = Sandbox::guarding("tool");
    let (code, checks) = doctor(&sb, None);
    assert_eq!(code, Some(0), "{checks:#?}");
    assert_eq!(status(&checks, "shim directory", ""), Some("ok"));
    assert_eq!(status(&checks, "PATH", ""), Some("ok"));
    assert_eq!(status(&checks, "rules", "rules for"), Some("ok"));
    assert_eq!(status(&checks, "passphrase", "none is set"), Some("warn"));
    assert_eq!(status(&checks, "lock", "not locked"), Some("warn"));
    assert!(checks.iter().all(|c| c["status"] != "fail"), "{checks:#?}");
}

#[test]
fn each_planted_fault_is_found_with_its_fix() {
    let sb = Sandbox::guarding("tool");
    sb.write_exe("shims/impostor", "#!/bin/sh\nexit 0\n");
    sb.install(&["ghost"]);
    sb.fake_tool("psql");
    sb.user_rules("broken.yaml", "tools: [tool]\nrules: [");
    sb.write("home/.config/guard/passphrase", "not a hash\n");
    let state = sb.path("home/.local/state/guard");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o777)).unwrap();
    let path = std::env::join_paths([sb.path("bin"), sb.shims(), "/usr/bin".into(), "/bin".into()])
        .unwrap();
    let (code, checks) = doctor(&sb, Some(path));
    assert_eq!(code, Some(1), "{checks:#?}");
    for (name, detail, want) in [
        ("PATH", "not first", "fail"),
        ("shim", "impostor is not this guard binary", "fail"),
        ("real tool", "ghost", "warn"),
        ("rules", "broken.yaml", "fail"),
        ("state", "writable by other users", "fail"),
    ] {
        assert_eq!(
            status(&checks, name, detail),
            Some(want),
            "{name}: {checks:#?}"
        );
    }
    // With the rules fixed, the passphrase and the unguarded psql show too.
    std::fs::remove_file(sb.path("home/.config/guard/rules/broken.yaml")).unwrap();
    let (_, checks) = doctor(&sb, None);
    assert_eq!(
        status(&checks, "unguarded tools", "psql"),
        Some("warn"),
        "{checks:#?}"
    );
    assert_eq!(
        status(&checks, "passphrase", "corrupt"),
        Some("fail"),
        "{checks:#?}"
    );
    assert!(
        checks
            .iter()
            .all(|c| c["status"] == "ok" || c["fix"].is_string()),
        "{checks:#?}"
    );
}

#[test]
fn each_agent_s_hook_and_the_path_its_shells_get_are_checked() {
    let sb = Sandbox::guarding("tool");
    // Claude Code and Codex have been used here (their settings directories exist).
    std::fs::create_dir_all(sb.path("home/.claude")).unwrap();
    std::fs::create_dir_all(sb.path("home/.codex")).unwrap();
    let (_, checks) = doctor(&sb, None);
    assert_eq!(
        status(&checks, "hook", "claude: no guard hook"),
        Some("warn"),
        "{checks:#?}"
    );
    assert_eq!(
        status(&checks, "hook", "codex: no guard hook"),
        Some("warn")
    );
    assert_eq!(
        status(&checks, "hook", "gemini"),
        None,
        "no Gemini CLI here"
    );
    // Codex's login shells read ~/.profile, which does not put the shims first yet.
    assert_eq!(
        status(&checks, "agent PATH", "codex"),
        Some("warn"),
        "{checks:#?}"
    );
    let shims = sb.shims();
    sb.write(
        "home/.profile",
        &format!("export PATH='{}':\"$PATH\"\n", shims.display()),
    );
    for agent in ["claude", "codex"] {
        let out = sb
            .guard()
            .args(["hook", "install", agent])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let (_, checks) = doctor(&sb, None);
    assert_eq!(
        status(&checks, "hook", "claude: installed"),
        Some("ok"),
        "{checks:#?}"
    );
    assert_eq!(status(&checks, "hook", "trust it in /hooks"), Some("warn"));
    assert_eq!(
        status(&checks, "agent PATH", "codex"),
        Some("ok"),
        "{checks:#?}"
    );
    // A hook that no longer fails closed, then one whose program is gone.
    let file = sb.path("home/.claude/settings.json");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("\"block\"", "\"continue\"")).unwrap();
    let (_, checks) = doctor(&sb, None);
    assert_eq!(
        status(&checks, "hook", "does not fail closed"),
        Some("warn"),
        "{checks:#?}"
    );
    let exe = assert_cmd::cargo::cargo_bin("guard");
    std::fs::write(
        &file,
        text.replace(&exe.display().to_string(), "/nonexistent/guard"),
    )
    .unwrap();
    let (code, checks) = doctor(&sb, None);
    assert_eq!(
        status(&checks, "hook", "not this guard binary"),
        Some("fail"),
        "{checks:#?}"
    );
    assert_eq!(code, Some(1));
}
