//! `guard doctor`: whether this set-up actually protects you, check by check, each with its
//! fix: the shims and PATH, the real tools, the rule layers, the state's permissions, the
//! passphrase and the lock, and the bypasses left open on this machine.

use crate::approval::passphrase::{self, Source};
use crate::commands::install::{guard_exe, is_guard, shim_dir_leads_path};
use crate::error::{Error, Result};
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
