//! `guard doctor`: whether this set-up actually protects you, check by check, each with its
//! fix: the shims and PATH, the real tools, the rule layers, the state's permissions, the
//! passphrase and the lock, each agent's hook and the PATH its shells get, and the bypasses
//! left open on this machine.

use crate::approval::passphrase::{self, Source};
use crate::commands::install::{guard_exe, is_guard, shim_dir_leads_path};
use crate::error::{Error, Result};
use crate::hook::Agent;
use crate::hook::install::{self, Installed};
use crate::layers::{Scope, load};
use crate::paths::Dirs;
use crate::resolve::real_tool_path;
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

#[derive(Debug, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub status: Status,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

fn check(check: &'static str, status: Status, detail: String, fix: Option<&str>) -> Check {
    Check {
        check,
        status,
        detail,
        fix: fix.map(str::to_string),
    }
}

pub fn run(dirs: &Dirs, shim_dir: &Path, json: bool) -> Result {
    let checks = checks(dirs, shim_dir);
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&checks).expect("checks serialize")
        );
    } else {
        for c in &checks {
            let word = match c.status {
                Status::Ok => "ok  ",
                Status::Warn => "WARN",
                Status::Fail => "FAIL",
            };
            println!("{word} {}: {}", c.check, crate::display::escape(&c.detail));
            if let Some(fix) = &c.fix {
                println!("     fix: {fix}");
            }
        }
    }
    if checks.iter().any(|c| c.status == Status::Fail) {
        Err(Error::reported(crate::exit::FAILURE))
    } else {
        Ok(())
    }
}

pub fn checks(dirs: &Dirs, shim_dir: &Path) -> Vec<Check> {
    use Status::{Fail, Ok, Warn};
    let mut out = Vec::new();
    let shown = |p: &Path| p.display().to_string();
    let exe = guard_exe().ok();
    let path = std::env::var_os("PATH");
    // The shim directory and PATH.
    if shim_dir.is_dir() {
        out.push(check("shim directory", Ok, shown(shim_dir), None));
    } else {
        out.push(check(
            "shim directory",
            Fail,
            format!("{} does not exist", shown(shim_dir)),
            Some("guard install --all"),
        ));
    }
    if shim_dir_leads_path(shim_dir) {
        out.push(check(
            "PATH",
            Ok,
            "the shim directory comes first".into(),
            None,
        ));
    } else {
        out.push(check(
            "PATH",
            Fail,
            "the shim directory is not first on this shell's PATH: tools run unguarded".into(),
            Some("eval \"$(guard env)\" (and add it to your shell's start-up file)"),
        ));
    }
    // Each shim: guard itself, and a real tool behind it.
    let mut shimmed = Vec::new();
    if let (std::result::Result::Ok(entries), Some(exe)) = (std::fs::read_dir(shim_dir), &exe) {
        let mut names: Vec<_> = entries.flatten().map(|e| e.file_name()).collect();
        names.sort();
        for name in names {
            let tool = name.to_string_lossy().into_owned();
            let link = shim_dir.join(&name);
            if !is_guard(&link, exe) {
                out.push(check(
                    "shim",
                    Fail,
                    format!("{} is not this guard binary", shown(&link)),
                    Some(&format!("rm {} && guard install {tool}", shown(&link))),
                ));
                continue;
            }
            shimmed.push(tool.clone());
            if real_tool_path(&tool, path.as_deref(), shim_dir, exe).is_err() {
                out.push(check(
                    "real tool",
                    Warn,
                    format!("{tool}: no real {tool} on PATH behind the shim (calls exit 127)"),
                    Some(&format!("install {tool}, or guard uninstall {tool}")),
                ));
            }
        }
    }
    // The rule layers.
    match load(dirs, Scope::All, crate::state::now()) {
        Err(e) => out.push(check(
            "rules",
            Fail,
            format!("{} problem(s); the first: {}", e.errors.len(), e.errors[0]),
            Some("guard lint"),
        )),
        std::result::Result::Ok((rules, config)) => {
            out.push(check(
                "rules",
                Ok,
                format!(
                    "{} rules for {} tools load",
                    rules.packs.iter().map(|p| p.rules.len()).sum::<usize>(),
                    rules.tools(true).len()
                ),
                None,
            ));
            // Tools the rules name that are on PATH but reach no shim.
            if let Some(exe) = &exe {
                let open: Vec<&str> = rules
                    .tools(false)
                    .into_iter()
                    .filter(|t| !shimmed.iter().any(|s| s == t))
                    .filter(|t| real_tool_path(t, path.as_deref(), shim_dir, exe).is_ok())
                    .collect();
                if !open.is_empty() {
                    out.push(check(
                        "unguarded tools",
                        Warn,
                        format!("on PATH without a shim: {}", open.join(", ")),
                        Some(&format!("guard install {}", open.join(" "))),
                    ));
                }
            }
            out.push(match passphrase::source(dirs, &config) {
                Source::None => check(
                    "passphrase",
                    Warn,
                    "none is set: an agent driving a terminal outside a recognised agent session could approve its own commands".into(),
                    Some("guard passphrase set (in your own terminal)"),
                ),
                Source::Broken(why) => check("passphrase", Fail, why, Some("guard passphrase set")),
                Source::Hash(_, from) => match passphrase::public_key(dirs, &config) {
                    Err(why) => check("passphrase", Fail, why, Some("guard passphrase set")),
                    std::result::Result::Ok(_) => check("passphrase", Ok, format!("set ({from})"), None),
                },
            });
            out.push(if config.locked {
                check("lock", Ok, format!("locked ({})", shown(&dirs.system_config())), None)
            } else {
                check(
                    "lock",
                    Warn,
                    "not locked: anything running as you can delete or replace your passphrase file".into(),
                    Some("sudo guard lock"),
                )
            });
        }
    }
    // The state directory: others must not be able to write grants or the audit log.
    if dirs.state.exists() {
        out.push(match crate::state::check_private_dir(&dirs.state) {
            std::result::Result::Ok(()) => check("state", Ok, shown(&dirs.state), None),
            Err(e) => check(
                "state",
                Fail,
                format!("{e:#}"),
                Some(&format!("chmod 700 {}", shown(&dirs.state))),
            ),
        });
    }
    if let Some(exe) = &exe {
        out.extend(agent_checks(dirs, shim_dir, exe));
    }
    // What no setting of guard's closes.
    if nix::unistd::geteuid().is_root() {
        out.push(check(
            "account",
            Warn,
            "running as root: an agent running as you can change /etc/guard".into(),
            Some("run agents as an ordinary user"),
        ));
    } else if sudo_without_password() {
        out.push(check(
            "sudo",
            Warn,
            "sudo runs without a password: an agent can act as root, /etc/guard included".into(),
            Some("require a password for sudo (remove NOPASSWD)"),
        ));
    }
    out
}

/// `sudo -n true` succeeds: sudo asks this account for no password.
fn sudo_without_password() -> bool {
    std::process::Command::new("sudo")
        .args(["-n", "true"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Each agent this machine has (its program on PATH, or its settings directory in the home),
/// with the agent program's name and how its shell commands get their PATH.
const AGENTS: &[(Agent, &str, &str, Shell)] = &[
    (Agent::Claude, "claude", ".claude", Shell::Inherited),
    (Agent::Codex, "codex", ".codex", Shell::Login),
    (Agent::Gemini, "gemini", ".gemini", Shell::Inherited),
    (Agent::Copilot, "copilot", ".copilot", Shell::Inherited),
    (Agent::Cursor, "cursor-agent", ".cursor", Shell::Interactive),
];

/// Where an agent's shell commands get PATH from (docs/agents.md).
#[derive(Clone, Copy)]
enum Shell {
    /// The agent's own PATH (the PATH check above covers it, when the agent starts here).
    Inherited,
    /// A login shell, which reads the profile (`bash -lc`).
    Login,
    /// An interactive shell, which reads the rc file.
    Interactive,
}

/// Per agent present: guard's hook installed, running this binary, failing closed; and
/// the shim directory first on the PATH the agent's commands get.
fn agent_checks(dirs: &Dirs, shim_dir: &Path, exe: &Path) -> Vec<Check> {
    use Status::{Fail, Ok, Warn};
    let home = std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(crate::paths::account_home);
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut out = Vec::new();
    for &(agent, program, dir, shell) in AGENTS {
        let on_path = std::env::split_paths(&path).any(|d| d.join(program).is_file());
        if !on_path && !home.join(dir).is_dir() {
            continue;
        }
        let name = agent.name();
        let found = [false, true].into_iter().find_map(|system| {
            let file = install::settings_file(agent, system, &home, &dirs.etc());
            let text = std::fs::read_to_string(&file).ok()?;
            install::installed(agent, &text).map(|i| (file, i, system))
        });
        out.push(match found {
            None => check(
                "hook",
                Warn,
                format!("{name}: no guard hook, so commands by path (/usr/bin/railway), with `env -i` or in interpreter one-liners pass the shims"),
                Some(&format!("guard hook install {name}   (or, for every user: sudo guard hook install {name} --system)")),
            ),
            Some((file, i, _)) if !crate::commands::install::is_guard(Path::new(&i.program), exe) => check(
                "hook",
                Fail,
                format!("{name}: the hook in {} runs {}, which is not this guard binary: {name} runs commands unchecked", file.display(), i.program),
                Some(&format!("guard hook install {name}")),
            ),
            Some((file, Installed { fails_closed: Some(false), .. }, system)) => check(
                "hook",
                Warn,
                format!("{name}: the hook in {} does not fail closed: if it cannot run, {name} runs the command", file.display()),
                Some(&format!("{}guard hook install {name}{}", if system { "sudo " } else { "" }, if system { " --system" } else { "" })),
            ),
            Some((file, _, system)) => check(
                "hook",
                if agent == Agent::Codex && !system { Warn } else { Ok },
                if agent == Agent::Codex && !system {
                    format!("codex: installed in {}; Codex skips it until you trust it in /hooks", file.display())
                } else {
                    format!("{name}: installed in {}", file.display())
                },
                None,
            ),
        });
        let (flag, file) = match shell {
            Shell::Inherited => continue,
            Shell::Login => (
                "-lc",
                "your login profile (~/.profile, ~/.bash_profile or ~/.zprofile)",
            ),
            Shell::Interactive => ("-ic", "your shell's rc file (~/.bashrc or ~/.zshrc)"),
        };
        let first = shell_path(flag)
            .and_then(|p| std::env::split_paths(&p).next())
            .and_then(|d| std::fs::canonicalize(d).ok());
        out.push(if first.is_some() && first == std::fs::canonicalize(shim_dir).ok() {
            check("agent PATH", Ok, format!("{name}: its shells put the shim directory first"), None)
        } else {
            check(
                "agent PATH",
                Warn,
                format!("{name}: the shells it starts read {file}, which does not put the shim directory first"),
                Some(&format!("add eval \"$(guard env)\" at the end of {file}")),
            )
        });
    }
    out
}

/// PATH as `$SHELL FLAG` (a login or interactive shell) leaves it.
fn shell_path(flag: &str) -> Option<std::ffi::OsString> {
    use std::os::unix::ffi::OsStringExt as _;
    let shell = std::env::var_os("SHELL").unwrap_or_else(|| "/bin/sh".into());
    let out = std::process::Command::new(shell)
        .args([flag, "printf %s \"$PATH\""])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| std::ffi::OsString::from_vec(out.stdout))
}
