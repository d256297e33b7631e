//! `guard explain`: the decision for a command, and why, without running anything.

use crate::display::{matched_rules, shell_line};
use crate::error::{Error, Result};
use crate::layers::{Scope, load};
use crate::paths::Dirs;
use crate::resolve::real_tool_path;
use crate::rules::decision::decide;
use serde_json::json;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt as _;

pub fn run(dirs: &Dirs, shim_dir: &std::path::Path, command: &[OsString], json: bool) -> Result {
    let tool_os = std::path::Path::new(&command[0])
        .file_name()
        .unwrap_or(command[0].as_os_str());
    let tool = tool_os.to_str().ok_or_else(|| {
        Error::usage(format!("explain: tool name {tool_os:?} is not valid UTF-8"))
    })?;
    let (rules, _) = load(dirs, Scope::Tool(tool), crate::state::now())?;
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let decision = decide(
        &rules,
        tool,
        &command[1..],
        &env,
        &crate::host::Host::live(),
    );
    let guard_exe = crate::resolve::running_guard();
    let path_var = std::env::var_os("PATH");
    let real = real_tool_path(tool, path_var.as_deref(), shim_dir, &guard_exe).ok();
    if json {
        let argv: Vec<String> = command
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let out = json!({
            "tool": tool,
            "argv": argv,
            "decision": decision.action,
            "by_default": decision.by_default,
            "rules": decision.rules,
            "real_path": real.as_ref().map(|p| p.display().to_string()),
        });
        println!("{out}");
        return Ok(());
    }
    println!("command:   {}", shell_line(command));
    println!(
        "decision:  {}{}",
        decision.action.as_str(),
        if decision.by_default {
            " (no rule matched; the tool's default)"
        } else {
            ""
        }
    );
    match &real {
        Some(p) => println!(
            "real tool: {}",
            crate::display::escape_bytes(p.as_os_str().as_bytes())
        ),
        None => println!("real tool: not found on PATH"),
    }
    if !decision.rules.is_empty() {
        println!("matched rules:");
        print!("{}", matched_rules(&decision));
    }
    Ok(())
}

/// One simple command of a shell string, decided as the shim would decide it.
#[derive(serde::Serialize)]
struct Judged {
    argv: Vec<String>,
    #[serde(flatten)]
    decision: crate::rules::decision::Decision,
}

/// `guard explain --shell STRING`: each simple command the string can run, and the strictest
/// decision among them, so a harmless segment never launders a destructive one.
pub fn run_shell(dirs: &Dirs, text: &str, json: bool) -> Result {
    use crate::rules::Action;
    use crate::rules::decision::{Decision, MatchedRule};
    use crate::rules::model::Challenge;
    use crate::shell::{Word, basename, simple_commands};
    let commands = simple_commands(text)
        .map_err(|e| Error::usage(format!("explain: not a shell command bash would run: {e}")))?;
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let mut judged = Vec::new();
    for c in &commands {
        let argv: Vec<String> = c.words.iter().map(|w| w.text().to_string()).collect();
        let unknowable = |what: &str, text: &str| MatchedRule {
            id: "shell.unknowable".into(),
            action: Action::Confirm,
            reason: format!("{what} is known only when it runs (`{text}`): never assumed harmless"),
            source: "<shell analysis>".into(),
            challenge: Challenge::Yes,
            target: None,
        };
        let decision = match &c.words[0] {
            Word::Unknown(name) => Decision {
                tool: name.clone(),
                action: Action::Confirm,
                rules: vec![unknowable("the command name", name)],
                by_default: false,
            },
            Word::Known(name) => {
                let tool = basename(name);
                let (rules, _) = load(dirs, Scope::Tool(tool), crate::state::now())?;
                let args: Vec<OsString> = c.words[1..]
                    .iter()
                    .map(|w| OsString::from(w.text()))
                    .collect();
                let host = crate::host::Host::for_examples(c.stdin_redirected);
                let mut d = decide(&rules, tool, &args, &env, &host);
                // An interpreter one-liner is a program: if it runs a tool or deletes files,
                // a human looks (an unknowable one likewise).
                if let Some(code) = crate::shell::one_liner(&c.words) {
                    let tools: Vec<&str> = crate::rules::bundled::BUNDLED
                        .iter()
                        .flat_map(|b| b.tools.iter().copied())
                        .collect();
                    let risky = code
                        .known()
                        .is_none_or(|code| crate::shell::mentions_danger(code, &tools));
                    if risky && d.action < Action::Confirm {
                        d.action = Action::Confirm;
                        d.by_default = false;
                        d.rules.insert(
                            0,
                            MatchedRule {
                                id: "shell.interpreter".into(),
                                action: Action::Confirm,
                                reason: "an interpreter one-liner that runs a process, a guarded tool or deletes files: it is a program, not shell, and is not analysed".into(),
                                source: "<shell analysis>".into(),
                                challenge: Challenge::Yes,
                                target: None,
                            },
                        );
                    }
                }
                // A guarded tool with an argument no one knows yet: at least a human's look.
                if let Some(w) = c.words[1..].iter().find(|w| matches!(w, Word::Unknown(_)))
                    && rules.packs_for(tool).next().is_some()
                    && d.action < Action::Confirm
                {
                    d.action = Action::Confirm;
                    d.by_default = false;
                    d.rules.insert(0, unknowable("an argument", w.text()));
                }
                d
            }
        };
        judged.push(Judged { argv, decision });
    }
    let strictest = judged
        .iter()
        .map(|j| j.decision.action)
        .max()
        .unwrap_or(Action::Allow);
    if json {
        let rules: Vec<&MatchedRule> = judged.iter().flat_map(|j| &j.decision.rules).collect();
        let out = json!({
            "command": text,
            "decision": strictest,
            "rules": rules,
            "commands": judged,
        });
        println!("{out}");
        return Ok(());
    }
    println!("command:   {}", crate::display::escape(text));
    println!("decision:  {}", strictest.as_str());
    for j in &judged {
        let argv: Vec<OsString> = j.argv.iter().map(OsString::from).collect();
        println!(
            "  {:<7} {}",
            j.decision.action.as_str(),
            crate::display::shell_line(&argv)
        );
        for line in matched_rules(&j.decision).lines() {
            println!("    {line}");
        }
    }
    Ok(())
}
