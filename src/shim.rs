//! guard invoked through a shim (argv[0] is a tool's name): resolve the real tool, load that
//! tool's rules, decide, get a human's approval where the rules ask for one, record the call
//! in the audit log, then exec the tool untouched or refuse with the reasons.

use crate::approval::grants::{ExactCommand, Store, now};
use crate::approval::prompt::Tty;
use crate::approval::{Approval, confirm_on_tty};
use crate::audit;
use crate::config::Config;
use crate::decision::{Decision, decide};
use crate::display::{matched_rules, tool_line};
use crate::exec::{MAX_DEPTH, current_depth, exec_real_tool};
use crate::exit;
use crate::paths::Dirs;
use crate::resolve::{real_tool_path, running_guard};
use crate::rules::Action;
use crate::rules::load::{Scope, load};
use crate::style::Style;
use std::ffi::OsString;
use std::path::PathBuf;

/// Why a command did not run, and the pending request a human can approve, if any.
struct Refusal {
    why: String,
    pending: Option<String>,
}

/// Run as the shim for `tool`. Returns the exit status when the tool is not exec'd.
pub fn run(tool: &str, argv: Vec<OsString>) -> u8 {
    let depth = current_depth();
    if depth >= MAX_DEPTH {
        eprintln!(
            "guard: {tool}: shim loop: guard was entered {depth} times in a row without reaching the real {tool}\n\
             hint: something on PATH after the shim directory calls `{tool}` by name again; check `type -a {tool}`"
        );
        return exit::REFUSED;
    }
    let dirs = Dirs::from_env();
    let shim_dir = dirs.shim_dir(None);
    let guard_exe = running_guard();
    let path_var = std::env::var_os("PATH");
    let real = match real_tool_path(tool, path_var.as_deref(), &shim_dir, &guard_exe) {
        Ok(real) => real,
        Err(e) => {
            eprintln!(
                "guard: {e}\nhint: install {tool}, or `guard uninstall {tool}` to remove the shim"
            );
            return exit::NOT_FOUND;
        }
    };
    let rules = match load(&dirs, Scope::Tool(tool)) {
        Ok(rules) => rules,
        Err(e) => {
            eprintln!("guard: {tool}: refused: {e}");
            // Recorded too (best effort: the command is refused either way).
            let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
            let unknown = Decision {
                tool: tool.to_string(),
                action: Action::Deny,
                rules: Vec::new(),
                by_default: false,
            };
            let refusal = Refusal {
                why: e
                    .errors
                    .first()
                    .map_or_else(String::new, ToString::to_string),
                pending: None,
            };
            let cwd = std::env::current_dir().unwrap_or_default();
            let mut entry = audit_entry(&unknown, &argv, &cwd, &env, &Err(refusal));
            entry.decision = "error".into();
            let _ = audit::append(&dirs.state, &entry);
            return exit::REFUSED;
        }
    };
    let env = read_env(rules.env_names(tool));
    let decision = decide(&rules, tool, &argv[1..], &env, &crate::host::Host::live());
    let cwd = std::env::current_dir().unwrap_or_default();
    let outcome = match decision.action {
        Action::Allow => Ok(None),
        Action::Confirm | Action::Deny => {
            seek_approval(&dirs, &rules.config, &decision, &argv, &cwd).map(Some)
        }
    };
    let entry = audit_entry(&decision, &argv, &cwd, &env, &outcome);
    if let Err(e) = audit::append(&dirs.state, &entry) {
        eprintln!(
            "guard: {tool}: refused: the audit log cannot be written ({e:#}); nothing runs unrecorded"
        );
        return exit::REFUSED;
    }
    match outcome {
        Ok(_) => {
            let err = exec_real_tool(&real, &argv, depth);
            eprintln!("guard: {tool}: could not execute {}: {err}", real.display());
            exit::REFUSED
        }
        Err(refusal) => {
            print_refusal(&decision, &argv, &refusal);
            exit::REFUSED
        }
    }
}

/// The variables this call's rules and its audit entry read, and no others: copying the whole
/// environment would cost an allocation per variable on every call.
fn read_env(rule_names: Vec<&str>) -> Vec<(OsString, OsString)> {
    rule_names
        .into_iter()
        .chain(audit::AGENT_MARKERS.iter().copied())
        .filter_map(|name| std::env::var_os(name).map(|v| (OsString::from(name), v)))
        .collect()
}

/// A grant for this exact command, else (for confirm) the human at the terminal. Without
/// either, the command is recorded as pending for `guard allow`.
fn seek_approval(
    dirs: &Dirs,
    config: &Config,
    decision: &Decision,
    argv: &[OsString],
    cwd: &std::path::Path,
) -> Result<Approval, Refusal> {
    let store = Store::new(&dirs.state);
    let cmd = ExactCommand::new(&decision.tool, &argv[1..], cwd);
    match store.consume_grant(&cmd, now()) {
        Ok(Some(id)) => return Ok(Approval::Grant(id)),
        Ok(None) => {}
        Err(e) => {
            return Err(Refusal {
                why: format!("{e:#}"),
                pending: None,
            });
        }
    }
    let pending = |why: &str| {
        let rules = decision
            .rules
            .iter()
            .map(|r| format!("{} {}: {}", r.action.as_str(), r.id, r.reason))
            .collect();
        match store.add_pending(cmd.clone(), rules, now()) {
            Ok(id) => Refusal {
                why: why.to_string(),
                pending: Some(id),
            },
            Err(e) => Refusal {
                why: format!("{why}; and the request could not be recorded: {e:#}"),
                pending: None,
            },
        }
    };
    if decision.action == Action::Deny {
        return Err(pending("denied"));
    }
    let mut tty = match Tty::open() {
        Ok(tty) => tty,
        Err(_) => {
            return Err(pending(
                "needs a human's confirmation, and no terminal is available to ask",
            ));
        }
    };
    let command = tool_line(&decision.tool, &argv[1..]);
    match confirm_on_tty(
        &mut tty,
        decision,
        &command,
        &cwd.display().to_string(),
        dirs,
        config,
    ) {
        Ok(()) => Ok(Approval::Tty),
        Err(why) => Err(Refusal {
            why: format!("not confirmed: {why}"),
            pending: None,
        }),
    }
}

fn audit_entry(
    decision: &Decision,
    argv: &[OsString],
    cwd: &std::path::Path,
    env: &[(OsString, OsString)],
    outcome: &Result<Option<Approval>, Refusal>,
) -> audit::Entry {
    let caller = audit::Caller::gather(env);
    let (ran, approved_by, refused_because) = match outcome {
        Ok(None) => (true, "none".to_string(), None),
        Ok(Some(a)) => (true, a.label(), None),
        Err(r) => (false, "none".to_string(), Some(r.why.clone())),
    };
    audit::Entry {
        time: audit::timestamp(),
        tool: decision.tool.clone(),
        argv: argv
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        cwd: PathBuf::from(cwd).display().to_string(),
        decision: decision.action.as_str().to_string(),
        outcome: if ran { "ran" } else { "refused" }.to_string(),
        rules: decision.rules.iter().map(|r| r.id.clone()).collect(),
        approved_by,
        refused_because,
        uid: Some(caller.uid),
        tty: caller.tty,
        parent: caller.parent,
        agent: caller.agent,
    }
}

fn print_refusal(decision: &Decision, argv: &[OsString], refusal: &Refusal) {
    let style = Style::for_stderr();
    let next = match &refusal.pending {
        Some(id) => format!(
            "guard: to let it run once, a human runs this in their own terminal: guard allow {id}\n"
        ),
        None => "guard: nothing was run.\n".to_string(),
    };
    eprint!(
        "guard: {} {}\nguard: {}:\n{}{next}",
        style.paint("refused:", Style::RED),
        tool_line(&decision.tool, &argv[1..]),
        refusal.why,
        matched_rules(decision),
    );
}
