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

/// `guard explain --shell STRING`: each simple command the string can run, and the strictest
/// decision among them, so a harmless segment never launders a destructive one.
pub fn run_shell(dirs: &Dirs, text: &str, json: bool) -> Result {
    use crate::rules::Action;
    let commands = crate::shell::simple_commands(text)
        .map_err(|e| Error::usage(format!("explain: cannot analyse this shell command: {e}")))?;
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let now = crate::state::now();
    let mut per_tool = crate::layers::PerTool::new(dirs, now);
    let mut rules_for = |tool: &str| per_tool.get(tool);
    let judged = commands
        .iter()
        .map(|c| crate::shell::judge(c, &mut rules_for, &env))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let strictest = judged
        .iter()
        .map(|j| j.decision.action)
        .max()
        .unwrap_or(Action::Allow);
    if json {
        let rules: Vec<_> = judged.iter().flat_map(|j| &j.decision.rules).collect();
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
