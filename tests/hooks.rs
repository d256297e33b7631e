//! `guard hook AGENT`: each agent's payload in (tests/agents/payloads, from the agents' docs),
//! the answer out in that agent's protocol, compared whole against golden files; failures of
//! every kind deny; shell forms are judged as the shim judges the inner command; and the
//! one-approval seam, both halves: a yes in the agent's dialog runs the command once, a no (or
//! a forged, reused or misfit ticket) runs nothing.

use crate::allow::set_passphrase;
use crate::sandbox::{Sandbox, assert_golden, fed, stdout};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};

const AGENTS: &[&str] = &["claude", "codex", "gemini", "copilot", "cursor"];

/// The agent's example payload (`tests/agents/payloads/NAME.json`) with `command` and `cwd`.
pub fn payload(name: &str, command: &str, cwd: &Path) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/agents/payloads")
        .join(format!("{name}.json"));
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    match name {
        "cursor" => v["command"] = json!(command),
        "copilot" => v["toolArgs"] = json!(json!({"command": command}).to_string()),
        _ => v["tool_input"]["command"] = json!(command),
    }
    v["cwd"] = json!(cwd.display().to_string());
    v.to_string()
}

/// `guard hook AGENT` in the sandbox with `input` on stdin.
pub fn hook_with(sb: &Sandbox, agent: &str, input: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = sb.guard();
    cmd.args(["hook", agent]).envs(env.iter().copied());
    fed(cmd, input)
}

pub fn hook(sb: &Sandbox, agent: &str, input: &str) -> Output {
    hook_with(sb, agent, input, &[])
}

/// exit status, stdout and stderr, for a golden file.
fn shown(sb: &Sandbox, case: &str, out: &Output) -> String {
    format!(
        "== {case}\nexit: {}\n-- stdout\n{}-- stderr\n{}",
        out.status.code().unwrap_or(-1),
        sb.normalize(&String::from_utf8_lossy(&out.stdout)),
        sb.normalize(&String::from_utf8_lossy(&out.stderr)),
    )
}

#[test]
fn each_agent_gets_deny_ask_and_silence_in_its_own_protocol() {
    for agent in AGENTS {
        let sb = Sandbox::new();
        let cwd = sb.root.path();
        let mut text = String::new();
        for (case, command) in [
            ("deny", "railway volume delete --volume pg-data"),
            ("ask", "git push --force origin main"),
            ("no objection", "ls -la && git status"),
            ("compound", "git status && git reset --hard"),
        ] {
            let out = hook(&sb, agent, &payload(agent, command, cwd));
            text.push_str(&shown(&sb, case, &out));
        }
        let out = hook(&sb, agent, "{\"not\": \"a payload\"");
        text.push_str(&shown(&sb, "garbage", &out));
        // Another agent's payload: the wrong shape for this hook.
        let other = if *agent == "gemini" {
            "claude"
        } else {
            "gemini"
        };
        let out = hook(&sb, agent, &payload(other, "ls", cwd));
        text.push_str(&shown(&sb, "another agent's payload", &out));
        assert_golden(&format!("hooks/{agent}.txt"), &text);
    }
}

#[test]
fn claude_format_hooks_run_by_copilot_or_cursor_answer_only_with_exit_2() {
    let sb = Sandbox::new();
    let cwd = sb.root.path();
    let mut text = String::new();
    // Copilot CLI runs `.claude/settings.json` hooks with its PascalCase payload.
    let ask = payload("copilot-pascal", "git push --force", cwd);
    text.push_str(&shown(&sb, "copilot, confirm", &hook(&sb, "claude", &ask)));
    let deny = payload("copilot-pascal", "railway down -y", cwd);
    text.push_str(&shown(
        &sb,
        "copilot, railway down",
        &hook(&sb, "claude", &deny),
    ));
    let fine = payload("copilot-pascal", "ls", cwd);
    text.push_str(&shown(&sb, "copilot, ls", &hook(&sb, "claude", &fine)));
    // ... which `guard hook copilot` also reads, and can ask there.
    text.push_str(&shown(
        &sb,
        "copilot hook, confirm",
        &hook(&sb, "copilot", &ask),
    ));
    // Cursor, with its own payload (a byte-order mark, tool Shell, an empty cwd).
    let cursor = format!(
        "\u{feff}{}",
        json!({"hook_event_name": "preToolUse", "tool_name": "Shell", "cwd": "",
               "cursor_version": "2.3.0", "workspace_roots": [cwd],
               "tool_input": {"command": "git push --force"}})
    );
    text.push_str(&shown(
        &sb,
        "cursor, confirm",
        &hook(&sb, "claude", &cursor),
    ));
    let cursor_ls = cursor.replace("git push --force", "ls");
    text.push_str(&shown(&sb, "cursor, ls", &hook(&sb, "claude", &cursor_ls)));
    // Claude Code in a mode that shows no prompt: an ask would be no one's look.
    let bypass =
        payload("claude", "git push --force", cwd).replace("\"default\"", "\"bypassPermissions\"");
    text.push_str(&shown(
        &sb,
        "claude, bypassPermissions",
        &hook(&sb, "claude", &bypass),
    ));
    assert_golden("hooks/claude-format-callers.txt", &text);
}

#[test]
fn every_failure_of_guard_s_own_is_a_deny_with_a_reason() {
    let sb = Sandbox::new();
    let cwd = sb.root.path();
    let input = payload("claude", "ls", cwd);
    // A panic (the test suite's switch, debug builds only).
    let out = hook_with(&sb, "claude", &input, &[("GUARD_TEST_HOOK_PANIC", "1")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("guard's hook failed") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    // A rule file that does not load.
    sb.user_rules("broken.yaml", "tools: [git]\nrules: [");
    for agent in AGENTS {
        let out = hook(&sb, agent, &payload(agent, "git status", cwd));
        assert_eq!(out.status.code(), Some(2), "{agent}");
        assert!(out.stdout.is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).contains("broken.yaml"));
    }
    std::fs::remove_file(sb.path("home/.config/guard/rules/broken.yaml")).unwrap();
    // Empty input, a JSON string, a payload missing its command.
    for input in [
        "",
        "\"PreToolUse\"",
        r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t"}"#,
    ] {
        let out = hook(&sb, "claude", input);
        assert_eq!(out.status.code(), Some(2), "{input}");
        assert!(!out.stderr.is_empty());
    }
    // A usage error (an agent guard does not know) exits 2 as well: a block.
    let out = hook(&sb, "windsurf", &input);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_long_command_is_judged_whole_and_a_huge_one_is_put_to_a_human() {
    let sb = Sandbox::new();
    let cwd = sb.root.path();
    // 15 KiB of harmless commands with a destructive one at the very end: found. (The time
    // budget is lifted: a busy test machine must not decide what this proves.)
    let mut command = "echo ok && ".repeat(15 << 10 >> 4);
    command.push_str("railway volume delete --volume pg-data");
    let input = payload("claude", &command, cwd);
    let out = hook_with(
        &sb,
        "claude",
        &input,
        &[("GUARD_TEST_HOOK_BUDGET_MS", "60000")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("railway.volume.delete"));
    // Past the time budget, judging stops and a human looks (here: a budget of nothing).
    let out = hook_with(&sb, "claude", &input, &[("GUARD_TEST_HOOK_BUDGET_MS", "0")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("could not finish checking"),
        "{}",
        stdout(&out)
    );
    let out = hook_with(
        &sb,
        "codex",
        &payload("codex", &command, cwd),
        &[("GUARD_TEST_HOOK_BUDGET_MS", "0")],
    );
    assert_eq!(out.status.code(), Some(2));
    // 1 MiB is more than guard analyses within an agent's hook budget: a human looks
    // (Claude Code asks; Codex, which cannot ask, denies).
    let huge = "echo ok && ".repeat(1 << 20 >> 4) + "ls";
    let out = hook(&sb, "claude", &payload("claude", &huge, cwd));
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "ask");
    assert!(v.to_string().contains("more than guard checks"), "{v}");
    let out = hook(&sb, "codex", &payload("codex", &huge, cwd));
    assert_eq!(out.status.code(), Some(2));
    // 10 MiB, over the input limit: denied, not read.
    let big = "x".repeat(10 << 20);
    let out = hook(&sb, "claude", &payload("claude", &big, cwd));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than"));
}

/// The decision `guard explain` gives the inner command, as the hook must answer it.
fn shim_decision(sb: &Sandbox, argv: &[&str]) -> String {
    let out = sb
        .guard()
        .args(["explain", "--json", "--"])
        .args(argv)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["decision"].as_str().unwrap().to_string()
}

/// The hook's answer as a decision: deny, confirm (an ask) or allow (silence).
fn hook_decision(sb: &Sandbox, command: &str) -> String {
    let out = hook(sb, "claude", &payload("claude", command, sb.root.path()));
    match out.status.code() {
        Some(2) => "deny".into(),
        Some(0) if out.stdout.is_empty() => "allow".into(),
        Some(0) => {
            let v: Value = serde_json::from_slice(&out.stdout).unwrap();
            assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "ask");
            "confirm".into()
        }
        other => panic!("exit {other:?}"),
    }
}

#[test]
fn shell_forms_are_judged_as_the_shim_judges_the_inner_command() {
    let sb = Sandbox::new();
    sb.write("drop.sql", "DROP TABLE users;\n");
    for (command, inner) in [
        (
            "git status && git reset --hard",
            &["git", "reset", "--hard"][..],
        ),
        (
            "bash -c \"railway volume rm -v x\"",
            &["railway", "volume", "rm", "-v", "x"],
        ),
        (
            "/usr/local/bin/railway volume delete -v x",
            &["railway", "volume", "delete", "-v", "x"],
        ),
        ("sudo -E env X=1 railway down", &["railway", "down"]),
        ("time git push --force", &["git", "push", "--force"]),
        (
            "echo $(railway volume delete -v x)",
            &["railway", "volume", "delete", "-v", "x"],
        ),
    ] {
        let want = shim_decision(&sb, inner);
        assert_ne!(want, "allow", "{inner:?} should need a human");
        assert_eq!(hook_decision(&sb, command), want, "{command}");
    }
    // What the command line cannot show is never assumed harmless.
    for command in [
        "cat drop.sql | psql",
        "$(echo railway) volume delete",
        "railway volume delete -v $VOLUME",
        "python3 -c 'import os; os.system(\"railway down\")'",
        // Terraform reads its approval from stdin: a here-string answers it as a pipe would.
        "terraform apply <<< yes",
        "terraform init -migrate-state <<'EOF'\nyes\nEOF\n",
    ] {
        assert_ne!(hook_decision(&sb, command), "allow", "{command}");
    }
    for harmless in [
        "psql -c 'SELECT 1' && git log",
        "psql -d prod <<'SQL'\nSELECT count(*) FROM users;\nSQL\n",
    ] {
        assert_eq!(hook_decision(&sb, harmless), "allow", "{harmless}");
    }
    // A here-document whose text is known only when it runs is not read as harmless.
    assert_eq!(
        hook_decision(&sb, "psql <<SQL\nSELECT $X;\nSQL\n"),
        "confirm"
    );
}

/// A sandbox guarding `railway` (a fake real tool behind its shim, on the agent's PATH).
fn guarded_railway() -> Sandbox {
    Sandbox::guarding("railway")
}

/// The command Claude Code runs after a yes in its dialog: the hook's rewritten input.
fn approved_rewrite(sb: &Sandbox, command: &str) -> String {
    let out = hook(sb, "claude", &payload("claude", command, sb.root.path()));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let specific = &v["hookSpecificOutput"];
    assert_eq!(specific["permissionDecision"], "ask");
    // The whole tool_input comes back, only the command changed.
    assert_eq!(specific["updatedInput"]["description"], "Run test suite");
    let rewritten = specific["updatedInput"]["command"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(rewritten.starts_with("export GUARD_TICKET=") && rewritten.ends_with(command));
    rewritten
}

/// `bash -c COMMAND` as Claude Code's Bash tool runs it: no terminal, the agent's markers.
fn agent_runs(sb: &Sandbox, command: &str) -> Output {
    let mut cmd = sb.sandboxed(Command::new("bash"));
    cmd.args(["-c", command])
        .env("CLAUDECODE", "1")
        .env("CLAUDE_CODE_CHILD_SESSION", "1");
    cmd.output().unwrap()
}

#[test]
fn a_yes_in_the_agent_s_dialog_runs_the_command_once_without_a_second_ask() {
    let sb = guarded_railway();
    let command = "railway volume detach --volume pg-data";
    // Without the hook's ticket, the shim in an agent session cannot ask: refused.
    let out = agent_runs(&sb, command);
    assert_eq!(out.status.code(), Some(126));
    assert_eq!(sb.runs("railway"), 0);
    // The human says yes in Claude Code's dialog: Claude Code runs the rewritten command.
    let rewritten = approved_rewrite(&sb, command);
    let out = agent_runs(&sb, &rewritten);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sb.runs("railway"), 1);
    assert_eq!(
        sb.recorded_argv("railway"),
        [
            b"volume".to_vec(),
            b"detach".to_vec(),
            b"--volume".to_vec(),
            b"pg-data".to_vec()
        ]
    );
    let log = stdout(
        &sb.guard()
            .args(["log", "--json", "-n", "1"])
            .output()
            .unwrap(),
    );
    assert!(log.contains("\"approved_by\":\"agent-dialog\""), "{log}");
    // Used once: the same rewritten command again is refused.
    let out = agent_runs(&sb, &rewritten);
    assert_eq!(out.status.code(), Some(126));
    assert_eq!(sb.runs("railway"), 1);
}

#[test]
fn the_guarded_tool_never_sees_the_ticket() {
    let sb = guarded_railway();
    // A fake railway that prints its environment.
    sb.write_exe("bin/railway", "#!/bin/sh\nenv\n");
    let rewritten = approved_rewrite(&sb, "railway volume detach --volume pg-data");
    let out = agent_runs(&sb, &rewritten);
    assert_eq!(out.status.code(), Some(0));
    let env = stdout(&out);
    assert!(
        env.contains("CLAUDECODE=1") && !env.contains("GUARD_TICKET"),
        "{env}"
    );
}

#[test]
fn a_no_in_the_agent_s_dialog_leaves_nothing_that_runs_the_command() {
    let sb = guarded_railway();
    let command = "railway volume detach --volume pg-data";
    // The hook asked; the human said no, so the rewritten command never ran.
    let rewritten = approved_rewrite(&sb, command);
    let token = rewritten
        .strip_prefix("export GUARD_TICKET=")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    // Retrying the plain command, or through a script or a subshell: refused.
    sb.write_exe("retry.sh", &format!("#!/bin/sh\n{command}\n"));
    for attempt in [
        command.to_string(),
        "./retry.sh".into(),
        format!("( {command} )"),
    ] {
        let out = agent_runs(&sb, &attempt);
        assert_eq!(out.status.code(), Some(126), "{attempt}");
    }
    // guard's state holds no token to find.
    let grep = Command::new("grep")
        .args(["-r", &token])
        .arg(sb.path("home"))
        .output()
        .unwrap();
    assert!(grep.stdout.is_empty(), "the token is in guard's state");
    // A made-up token, or the real one for another command or directory: refused.
    let forged = format!("GUARD_TICKET={} {command}", "ab".repeat(16));
    let other = format!("GUARD_TICKET={token} railway volume detach --volume other");
    let elsewhere = format!("cd /tmp && GUARD_TICKET={token} {command}");
    for attempt in [forged, other, elsewhere] {
        let out = agent_runs(&sb, &attempt);
        assert_eq!(out.status.code(), Some(126), "{attempt}");
    }
    assert_eq!(sb.runs("railway"), 0);
    // A deny is never turned into an ask, so no ticket can carry it.
    let out = hook(
        &sb,
        "claude",
        &payload("claude", "railway volume delete -v pg-data", sb.root.path()),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[test]
fn with_a_passphrase_the_hook_sends_the_human_to_guard_allow_instead() {
    let sb = guarded_railway();
    set_passphrase(&sb, "correct horse battery");
    let command = "railway volume detach --volume pg-data";
    // A ticket could be forged by anything that writes guard's state, and with a passphrase
    // only sealed approvals count: the one approval is `guard allow` with the passphrase.
    let out = hook(&sb, "claude", &payload("claude", command, sb.root.path()));
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("guard allow "), "{err}");
    assert!(
        !sb.path("home/.local/state/guard/tickets").exists()
            || std::fs::read_dir(sb.path("home/.local/state/guard/tickets"))
                .unwrap()
                .next()
                .is_none()
    );
    // A tool no shim guards is still asked about in the dialog: that is the only look.
    let out = hook(
        &sb,
        "claude",
        &payload("claude", "git push --force", sb.root.path()),
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("\"ask\""));
}

#[test]
fn a_human_s_guard_allow_lets_the_hook_stand_aside_for_the_shim() {
    let sb = guarded_railway();
    let command = "railway volume delete --volume pg-data";
    let out = hook(&sb, "codex", &payload("codex", command, sb.root.path()));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    let id = regex::Regex::new(r"guard allow ([0-9a-f]{6})")
        .unwrap()
        .captures(&err)
        .unwrap()[1]
        .to_string();
    // The human approves the pending request in a terminal of their own.
    let mut p = crate::allow::guard_on_pty(&sb, &["allow", &id]);
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_eof().unwrap();
    // The hook no longer objects; the shim uses the grant and the tool runs, once.
    let out = hook(&sb, "codex", &payload("codex", command, sb.root.path()));
    assert_eq!((out.status.code(), out.stdout.len()), (Some(0), 0));
    let out = agent_runs(&sb, command);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sb.runs("railway"), 1);
    let out = hook(&sb, "codex", &payload("codex", command, sb.root.path()));
    assert_eq!(out.status.code(), Some(2));
}

/// What Gemini CLI's own hook runner and scheduler (`@google/gemini-cli-core`, pinned in
/// tests/agents/gemini, installed by scripts/test) do with `guard hook gemini`'s answer.
fn through_gemini_cli(sb: &Sandbox, command: &str, env: &[(&str, &str)]) -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/agents/gemini");
    assert!(
        dir.join("node_modules/@google/gemini-cli-core").is_dir(),
        "Gemini CLI's hook code is not installed: run scripts/test (npm ci in {})",
        dir.display()
    );
    let guard = assert_cmd::cargo::cargo_bin("guard");
    let mut cmd = sb.sandboxed(Command::new("node"));
    cmd.arg(dir.join("harness.mjs"))
        .arg(format!("'{}' hook gemini", guard.display()))
        .envs(env.iter().copied());
    let out = fed(cmd, payload("gemini", command, sb.root.path()));
    assert!(
        out.status.success(),
        "harness: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn gemini_cli_s_own_hook_code_blocks_asks_and_lets_through_as_guard_means() {
    let sb = Sandbox::new();
    let v = through_gemini_cli(&sb, "railway volume delete --volume pg-data", &[]);
    assert_eq!(v["outcome"], "block", "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("railway.volume.delete")
    );
    let v = through_gemini_cli(&sb, "git push --force", &[]);
    assert_eq!(v["outcome"], "ask", "{v}");
    assert!(
        v["system_message"]
            .as_str()
            .unwrap()
            .contains("git.push.force")
    );
    let v = through_gemini_cli(&sb, "ls && git status", &[]);
    assert_eq!(v["outcome"], "proceed", "{v}");
    assert_eq!(v["system_message"], Value::Null, "silence adds nothing");
    // guard's own failure blocks there too.
    let v = through_gemini_cli(&sb, "ls", &[("GUARD_TEST_HOOK_PANIC", "1")]);
    assert_eq!(v["outcome"], "block", "{v}");
}

#[test]
fn in_gemini_cli_a_yes_runs_the_rewritten_command_once() {
    let sb = guarded_railway();
    let command = "railway volume detach --volume pg-data";
    let v = through_gemini_cli(&sb, command, &[]);
    assert_eq!(v["outcome"], "ask", "{v}");
    // Gemini CLI asks about, and then runs, the rewritten arguments.
    assert_eq!(v["tool_input"]["description"], "clean");
    let rewritten = v["tool_input"]["command"].as_str().unwrap();
    assert!(rewritten.starts_with("export GUARD_TICKET="), "{v}");
    let mut cmd = sb.sandboxed(Command::new("bash"));
    cmd.args(["-c", rewritten]).env("GEMINI_CLI", "1");
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sb.runs("railway"), 1);
    let out = sb
        .sandboxed(Command::new("bash"))
        .args(["-c", rewritten])
        .env("GEMINI_CLI", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(126));
    assert_eq!(sb.runs("railway"), 1);
}

mod install {
    use super::*;

    fn guard_in(sb: &Sandbox, args: &[&str]) -> Output {
        sb.guard().args(args).output().unwrap()
    }

    /// The command line an installed hook runs, taken from the agent's settings file.
    fn installed_command(settings: &Value, agent: &str) -> String {
        match agent {
            "copilot" => {
                let h = &settings["hooks"]["preToolUse"][0];
                format!("'{}' hook copilot", h["exec"].as_str().unwrap())
            }
            "cursor" => settings["hooks"]["beforeShellExecution"][0]["command"]
                .as_str()
                .unwrap()
                .to_string(),
            _ => {
                let event = if agent == "gemini" {
                    "BeforeTool"
                } else {
                    "PreToolUse"
                };
                let groups = settings["hooks"][event].as_array().unwrap();
                groups.last().unwrap()["hooks"][0]["command"]
                    .as_str()
                    .unwrap()
                    .to_string()
            }
        }
    }

    #[test]
    fn installing_merges_into_the_user_s_settings_and_the_installed_hook_denies() {
        let sb = Sandbox::new();
        let files = [
            ("claude", "home/.claude/settings.json"),
            ("codex", "home/.codex/hooks.json"),
            ("gemini", "home/.gemini/settings.json"),
            ("copilot", "home/.copilot/hooks/guard.json"),
            ("cursor", "home/.cursor/hooks.json"),
        ];
        // Settings the user already has, which must come through untouched and in order.
        let claude_before = r#"{"theme": "dark", "hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "my-linter"}]}]}, "env": {"A": "1"}}"#;
        sb.write("home/.claude/settings.json", claude_before);
        for (agent, file) in files {
            let out = guard_in(&sb, &["hook", "install", agent]);
            assert!(
                out.status.success(),
                "{agent}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(stdout(&out).contains("still to do:"), "{agent}");
            let settings: Value =
                serde_json::from_str(&std::fs::read_to_string(sb.path(file)).unwrap()).unwrap();
            // The hook the agent will run, run as the agent's shell runs it.
            let command = installed_command(&settings, agent);
            let mut sh = sb.sandboxed(Command::new("sh"));
            sh.args(["-c", &command]);
            let input = payload(agent, "railway volume delete -v pg-data", sb.root.path());
            let out = fed(sh, input);
            assert_eq!(out.status.code(), Some(2), "{agent}: {command}");
            // Installing again changes nothing.
            let again = guard_in(&sb, &["hook", "install", agent]);
            assert!(stdout(&again).contains("already"), "{agent}");
        }
        let claude: Value = serde_json::from_str(
            &std::fs::read_to_string(sb.path("home/.claude/settings.json")).unwrap(),
        )
        .unwrap();
        let keys: Vec<&String> = claude.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["theme", "hooks", "env"]);
        assert_eq!(
            claude["hooks"]["PreToolUse"][0]["hooks"][0]["command"],
            "my-linter"
        );
        assert_eq!(
            claude["hooks"]["PreToolUse"][1]["hooks"][0]["onFailure"],
            "block"
        );
        let cursor = std::fs::read_to_string(sb.path("home/.cursor/hooks.json")).unwrap();
        assert!(cursor.contains("\"failClosed\": true"));
        assert_eq!(
            std::fs::read_to_string(sb.path("home/.claude/settings.json.guard-backup")).unwrap(),
            claude_before
        );
        // Uninstalling gives the user's file back as it was (same settings).
        for (agent, _) in files {
            let out = guard_in(&sb, &["hook", "uninstall", agent]);
            assert!(
                out.status.success(),
                "{agent}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let back: Value = serde_json::from_str(
            &std::fs::read_to_string(sb.path("home/.claude/settings.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(back, serde_json::from_str::<Value>(claude_before).unwrap());
        assert!(!sb.path("home/.copilot/hooks/guard.json").exists());
    }

    #[test]
    fn a_broken_settings_file_is_left_alone_with_its_location() {
        let sb = Sandbox::new();
        let file = sb.write("home/.gemini/settings.json", "{\n  \"a\": 1,\n}\n");
        let out = guard_in(&sb, &["hook", "install", "gemini"]);
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("settings.json:3:1: not JSON"), "{err}");
        assert_eq!(
            std::fs::read_to_string(file).unwrap(),
            "{\n  \"a\": 1,\n}\n"
        );
    }

    #[test]
    fn system_install_writes_each_agent_s_managed_file_readable_by_all() {
        use std::os::unix::fs::PermissionsExt;
        let sb = Sandbox::new();
        // Under the sandbox, /etc is the parent of GUARD_SYSTEM_DIR.
        for (agent, file) in [
            ("claude", "claude-code/managed-settings.json"),
            ("gemini", "gemini-cli/settings.json"),
            ("copilot", "github-copilot/policy.d/guard.json"),
            ("cursor", "cursor/hooks.json"),
            ("codex", "codex/requirements.toml"),
        ] {
            let out = guard_in(&sb, &["hook", "install", agent, "--system"]);
            assert!(
                out.status.success(),
                "{agent}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let meta = std::fs::metadata(sb.path(file)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o644, "{agent}");
        }
        let gemini = std::fs::read_to_string(sb.path("gemini-cli/settings.json")).unwrap();
        assert!(gemini.contains("\"enabled\": true"));
        let codex = std::fs::read_to_string(sb.path("codex/requirements.toml")).unwrap();
        assert!(codex.contains("[[hooks.PreToolUse.hooks]]") && codex.contains("hooks = true"));
        // A requirements.toml with features of its own is not edited: the block is printed.
        sb.write("codex/requirements.toml", "[features]\nweb_search = true\n");
        let out = guard_in(&sb, &["hook", "install", "codex", "--system"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&out.stderr).contains("[[hooks.PreToolUse]]"));
        assert_eq!(
            std::fs::read_to_string(sb.path("codex/requirements.toml")).unwrap(),
            "[features]\nweb_search = true\n"
        );
    }

    #[test]
    fn with_a_passphrase_only_a_human_takes_the_hook_out() {
        let sb = Sandbox::new();
        assert!(
            guard_in(&sb, &["hook", "install", "claude"])
                .status
                .success()
        );
        set_passphrase(&sb, "correct horse battery");
        // No terminal (an agent's shell): refused, and the hook stays.
        let out = guard_in(&sb, &["hook", "uninstall", "claude"]);
        assert_eq!(out.status.code(), Some(126));
        let settings = std::fs::read_to_string(sb.path("home/.claude/settings.json")).unwrap();
        assert!(settings.contains("hook claude"));
        // The human, with the passphrase.
        let mut p = crate::allow::guard_on_pty(&sb, &["hook", "uninstall", "claude"]);
        p.exp_string("Passphrase: ").unwrap();
        p.send_line("correct horse battery").unwrap();
        p.exp_string("removed guard's claude hook").unwrap();
        p.exp_eof().unwrap();
    }
}
