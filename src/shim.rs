//! guard invoked through a shim (argv[0] is a tool's name): resolve the real tool, load that
//! tool's rules, decide, get a human's approval where the rules ask for one, record the call
//! in the audit log, then exec the tool untouched or refuse with the reasons.

use crate::approval::grants::{ExactCommand, Store};
use crate::approval::prompt::Tty;
use crate::approval::{Approval, confirm_on_tty};
use crate::audit::{self, Approver, Logged, Outcome};
use crate::config::Config;
use crate::display::{escape_bytes, escape_lines, matched_rules, tool_line};
use crate::error::Error;
use crate::exec::{MAX_DEPTH, current_depth, exec_real_tool};
use crate::layers::{Scope, load};
use crate::paths::Dirs;
use crate::resolve::{real_tool_path, running_guard};
use crate::rules::Action;
use crate::rules::decision::{Decision, decide};
use crate::state::unix_secs;
use crate::style::Style;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt as _;
use std::time::SystemTime;

/// Why a command did not run, and the pending request a human can approve, if any.
struct Refusal {
    why: String,
    pending: Option<String>,
}

/// Run as the shim for `tool`: execs the real tool, or returns why it did not run.
pub fn run(tool: &str, argv: Vec<OsString>) -> Error {
    let depth = current_depth();
    if depth >= MAX_DEPTH {
        return Error::refused(format!(
            "{tool}: shim loop: guard was entered {depth} times in a row without reaching the real {tool}\n\
             hint: something on PATH after the shim directory calls `{tool}` by name again; check `type -a {tool}`"
        ));
    }
    let now = crate::state::now();
    let dirs = Dirs::from_env();
    let shim_dir = dirs.shim_dir(None);
    let guard_exe = running_guard();
    let path_var = std::env::var_os("PATH");
    let real = match real_tool_path(tool, path_var.as_deref(), &shim_dir, &guard_exe) {
        Ok(real) => real,
        Err(e) => return Error::from(e),
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let (rules, config) = match load(&dirs, Scope::Tool(tool), now) {
        Ok(loaded) => loaded,
        Err(e) => {
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
            let mut entry = audit_entry(&unknown, &argv, &cwd, &env, &Err(refusal), now);
            entry.decision = Logged::Error;
            let _ = audit::append(&dirs.state, &entry);
            return Error::refused(escape_lines(&format!("{tool}: refused: {e}")));
        }
    };
    let env = read_env(rules.env_names(tool));
    let decision = decide(&rules, tool, &argv[1..], &env, &crate::host::Host::live());
    let outcome = match decision.action {
        Action::Allow => Ok(None),
        Action::Confirm | Action::Deny => {
            seek_approval(&dirs, &config, &decision, &argv, &cwd, now).map(Some)
        }
    };
    let entry = audit_entry(&decision, &argv, &cwd, &env, &outcome, now);
    if let Err(e) = audit::append(&dirs.state, &entry) {
        return Error::refused(format!(
            "{tool}: refused: the audit log cannot be written ({e:#}); nothing runs unrecorded"
        ));
    }
    match outcome {
        Ok(_) => {
            let err = exec_real_tool(&real, &argv, depth);
            Error::refused(format!(
                "{tool}: could not execute {}: {err}",
                real.display()
            ))
        }
        Err(refusal) => {
            let unprotected = matches!(
                crate::approval::passphrase::source(&dirs, &config),
                crate::approval::passphrase::Source::None
            );
            let ignored: Vec<&crate::rules::Ignored> = rules
                .ignored
                .iter()
                .filter(|i| decision.rules.iter().any(|r| r.id == i.entry.id))
                .collect();
            Error::refused(refusal_text(
                &decision,
                &argv,
                &refusal,
                unprotected,
                &ignored,
            ))
        }
    }
}

/// The variables this call's rules and its audit entry read, and no others: copying the whole
/// environment would cost an allocation per variable on every call.
fn read_env(rule_names: Vec<&str>) -> Vec<(OsString, OsString)> {
    rule_names
        .into_iter()
        .chain(crate::agent::MARKERS.iter().copied())
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
    now: SystemTime,
) -> Result<Approval, Refusal> {
    let store = Store::new(&dirs.state);
    let cmd = ExactCommand::new(&decision.tool, &argv[1..], cwd);
    let now = unix_secs(now);
    // With a passphrase, only a grant the human sealed counts. A key that cannot be read
    // honours no grant (the refusal stands and is recorded; `guard allow` says why).
    let key = crate::approval::passphrase::public_key(dirs, config);
    if let Ok(key) = &key {
        match store.consume_grant(&cmd, now, key.as_ref()) {
            Ok(Some(id)) => return Ok(Approval::Grant(id)),
            Ok(None) => {}
            Err(e) => {
                return Err(Refusal {
                    why: format!("{e:#}"),
                    pending: None,
                });
            }
        }
    }
    let pending = |why: &str| match store.add_pending(cmd.clone(), decision.rule_lines(), now, true)
    {
        Ok(id) => Refusal {
            why: why.to_string(),
            pending: Some(id),
        },
        Err(e) => Refusal {
            why: format!("{why}; and the request could not be recorded: {e:#}"),
            pending: None,
        },
    };
    // Recorded for `guard allow`; where config.yaml says so, the call waits for that.
    let pending_or_wait = |why: &str| -> Result<Approval, Refusal> {
        let refusal = pending(why);
        match (&refusal.pending, &key, config.approval_wait) {
            (Some(id), Ok(key), Some(wait)) => {
                await_grant(&store, &cmd, now, key.as_ref(), id, wait).ok_or(refusal)
            }
            _ => Err(refusal),
        }
    };
    if decision.action == Action::Deny {
        return pending_or_wait(&match &key {
            Err(e) => format!("denied; no grant can be honoured: {e}"),
            Ok(_) => "denied".into(),
        });
    }
    // The human said yes to exactly this in the agent's own dialog (`approval::ticket`).
    // Tickets stand only where grants need no seal: an agent could write one as easily.
    if let Some(token) = std::env::var_os(crate::approval::ticket::VAR)
        && let Some(token) = token.to_str()
        && !config.confirm_with_passphrase
        && matches!(
            crate::approval::passphrase::source(dirs, config),
            crate::approval::passphrase::Source::None
        )
        && crate::approval::ticket::redeem(&dirs.state, token, &cmd, now)
    {
        return Ok(Approval::AgentDialog);
    }
    let mut tty = match Tty::open() {
        Ok(tty) => tty,
        Err(_) => {
            return pending_or_wait(
                "needs a human's confirmation, and no terminal is available to ask",
            );
        }
    };
    let command = tool_line(&decision.tool, &argv[1..]);
    match confirm_on_tty(
        &mut tty,
        decision,
        &command,
        &escape_bytes(cwd.as_os_str().as_bytes()),
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

/// Wait up to `wait` for a human's `guard allow ID` to grant this command (`approval_wait`),
/// saying so on stderr; the grant's approval, consumed, if one comes.
fn await_grant(
    store: &Store,
    cmd: &ExactCommand,
    now: u64,
    key: Option<&crate::approval::seal::PublicKey>,
    id: &str,
    wait: std::time::Duration,
) -> Option<Approval> {
    eprintln!(
        "guard: waiting up to {} for a human to run, in their own terminal: guard allow {id}",
        humantime::format_duration(wait)
    );
    store.await_grant(cmd, now, key, wait).map(Approval::Grant)
}

fn audit_entry(
    decision: &Decision,
    argv: &[OsString],
    cwd: &std::path::Path,
    env: &[(OsString, OsString)],
    outcome: &Result<Option<Approval>, Refusal>,
    now: SystemTime,
) -> audit::Entry {
    let caller = audit::Caller::gather(env);
    let (outcome, approved_by, refused_because) = match outcome {
        Ok(None) => (Outcome::Ran, Approver::None, None),
        Ok(Some(Approval::Tty)) => (Outcome::Ran, Approver::Tty, None),
        Ok(Some(Approval::Grant(id))) => (Outcome::Ran, Approver::Grant(id.clone()), None),
        Ok(Some(Approval::AgentDialog)) => (Outcome::Ran, Approver::AgentDialog, None),
        Err(r) => (Outcome::Refused, Approver::None, Some(r.why.clone())),
    };
    audit::Entry {
        outcome,
        approved_by,
        refused_because,
        ..audit::Entry::decided(decision, audit::shown_argv(argv), cwd, caller, now)
    }
}

/// The refusal as `main` prints it, each line after `guard: `.
/// `unprotected`: no passphrase is set, which the refusal says, since then an agent that
/// drives a terminal could give the approval itself.
fn refusal_text(
    decision: &Decision,
    argv: &[OsString],
    refusal: &Refusal,
    unprotected: bool,
    ignored: &[&crate::rules::Ignored],
) -> String {
    let style = Style::for_stderr();
    let mut next = match &refusal.pending {
        Some(id) => format!(
            "guard: to let it run once, a human runs this in their own terminal: guard allow {id}"
        ),
        None => "guard: nothing was run.".to_string(),
    };
    for i in ignored {
        next.push_str(&format!(
            "\nguard: `disable: {}` in {}:{} was ignored: {}",
            crate::display::escape(&i.entry.id),
            crate::display::escape(&i.entry.file),
            i.entry.at.0,
            i.why
        ));
    }
    if unprotected {
        next.push_str(
            "\nguard: no passphrase is set, so an agent driving a terminal could approve this itself; \
             to close that, run `guard passphrase set` in your own terminal",
        );
    }
    format!(
        "{} {}\nguard: {}:\n{}{next}",
        style.paint("refused:", Style::RED),
        tool_line(&decision.tool, &argv[1..]),
        escape_lines(&refusal.why),
        matched_rules(decision),
    )
}
