//! `guard hook AGENT`: the edge of the agents' hooks (`hook` is the pure part). Reads the
//! payload, judges every simple command of the shell string as the shim would, and answers.
//!
//! How a confirm is answered depends on what happens after the agent's own dialog:
//! - no shim will see the command (it is not shimmed, or is called by path): the dialog is
//!   the one approval, so the hook asks there;
//! - a shim will see it and the agent lets the hook rewrite the command (Claude Code, Gemini
//!   CLI) and no passphrase is set: the hook asks with a ticket (`approval::ticket`), which the
//!   shim honours instead of asking again;
//! - otherwise the shim would ask again after the dialog, so the hook denies at once with a
//!   pending request for `guard allow`: one approval, in a terminal of the human's own.
//!
//! A deny is always a deny, recorded as pending so a human can approve it once.

use crate::approval::grants::{ExactCommand, Store};
use crate::approval::{passphrase, ticket};
use crate::error::{Error, Result};
use crate::hook::{self, Agent, AskForm, Request, Verdict};
use crate::paths::Dirs;
use crate::rules::Action;
use crate::shell::{self, Judged, SimpleCommand, Word};
use crate::state::unix_secs;
use serde_json::Value;
use std::ffi::OsString;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

/// A larger payload is not read: denied, with the reason.
const MAX_INPUT: u64 = 4 << 20;

/// A longer command is not analysed but put to a human: agents run the command when a hook
/// takes too long, and judging costs time in proportion to the text (benches/hook-latency.sh:
/// 16 KiB of here-document SQL, the slowest, takes about a third of it).
const MAX_ANALYSED: usize = 16 << 10;

/// Judging stops and asks a human once this much time has gone: agents' hook timeouts
/// fail open, so an answer must come in time whatever the input.
const BUDGET: std::time::Duration = std::time::Duration::from_millis(40);

/// `BUDGET`, which the test suite may set (debug builds only), so that what a test proves
/// does not depend on how busy the machine running it is.
fn budget() -> std::time::Duration {
    std::env::var("GUARD_TEST_HOOK_BUDGET_MS")
        .ok()
        .filter(|_| cfg!(debug_assertions))
        .and_then(|ms| ms.parse().ok())
        .map_or(BUDGET, std::time::Duration::from_millis)
}

pub fn run(dirs: &Dirs, agent: Agent) -> Result {
    // A panic is guard's failure, never the command's pass: agents run the command when a
    // hook crashes, so a panic answers deny (exit 2, reason on stderr) whatever the build.
    std::panic::set_hook(Box::new(|info| {
        let at = crate::error::panic_place(info);
        eprintln!(
            "guard: the command was stopped because guard's hook failed inside{at}; \
             ask your human to run `guard doctor` and report this"
        );
        std::process::exit(hook::DENY_STATUS.into());
    }));
    // How the test suite proves that a panic denies (debug builds only).
    if cfg!(debug_assertions) && std::env::var_os("GUARD_TEST_HOOK_PANIC").is_some() {
        panic!("a panic the test suite asked for");
    }
    // A closed stdout is an error to report, not a signal that kills guard silently.
    // SAFETY: ignoring a signal changes no handler guard relies on; the hook execs nothing.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigIgn,
        )
    };
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    let request = read_input()
        .and_then(|input| hook::parse(agent, &input))
        .map_err(|why| {
            deny(format!(
                "the command was stopped: guard could not read the {} hook input: {why}. \
                 Ask your human to check the hook with `guard doctor`",
                agent.name()
            ))
        })?;
    let Some(request) = request else {
        return Ok(());
    };
    let answer = hook::answer(&request, verdict(dirs, &request, &env));
    if let Some(out) = answer.stdout {
        // An answer that cannot be written (the agent closed the pipe) must not end in
        // silence or a signal, which agents take as no objection: it is a deny.
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = writeln!(stdout, "{out}").and_then(|()| stdout.flush()) {
            return Err(deny(format!(
                "the command was stopped: guard could not write its answer ({e})"
            )));
        }
    }
    match answer.deny {
        Some(reason) => Err(deny(reason)),
        None => Ok(()),
    }
}

fn deny(reason: String) -> Error {
    Error::with_code(hook::DENY_STATUS, reason)
}

fn read_input() -> std::result::Result<Vec<u8>, String> {
    let mut input = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT + 1)
        .read_to_end(&mut input)
        .map_err(|e| format!("stdin cannot be read ({e})"))?;
    if input.len() as u64 > MAX_INPUT {
        return Err(format!("it is larger than {MAX_INPUT} bytes"));
    }
    Ok(input)
}

/// One simple command that needs a human, and the exact command a grant or ticket would
/// name (`None` when part of it is known only at run time).
struct Needs {
    judged: Judged,
    exact: Option<ExactCommand>,
    shimmed: bool,
}

fn verdict(dirs: &Dirs, request: &Request, env: &[(OsString, OsString)]) -> Verdict {
    let started = std::time::Instant::now();
    if request.command.len() > MAX_ANALYSED {
        let why = format!(
            "  the command is {} bytes long, more than guard checks in an agent's hook ({MAX_ANALYSED})\n",
            request.command.len()
        );
        return ask_or_deny(request, &why, None, Vec::new);
    }
    let now = crate::state::now();
    let secs = unix_secs(now);
    // Relative paths in the command (`rm -rf ./build`, `psql -f x.sql`) are where it runs.
    let cwd = request
        .cwd
        .clone()
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    let _ = std::env::set_current_dir(&cwd);
    let commands = match shell::simple_commands(&request.command) {
        Ok(commands) => commands,
        Err(e) => {
            let why = format!(
                "  guard cannot analyse this command ({}), so it cannot check it\n",
                crate::display::escape(&e)
            );
            return ask_or_deny(request, &why, None, Vec::new);
        }
    };
    let config = match crate::config::load_checked(dirs) {
        Ok(config) => config,
        Err(d) => return Verdict::Deny(stopped(&format!("guard's configuration is broken: {d}"))),
    };
    // The passphrase's key, read only once some command needs a human: most tool calls an
    // agent makes need none, and every one of them waits for this hook.
    let key = std::cell::OnceCell::new();
    let key = || {
        key.get_or_init(|| passphrase::public_key(dirs, &config).ok().flatten())
            .as_ref()
    };
    let store = Store::new(&dirs.state);
    let shim_dir = dirs.shim_dir(None);
    let mut per_tool = crate::layers::PerTool::new(dirs, now);
    let mut rules_for = |tool: &str| per_tool.get(tool);
    let mut needs = Vec::new();
    let budget = budget();
    for command in &commands {
        if started.elapsed() > budget {
            let why = "  guard could not finish checking this command in time\n";
            return ask_or_deny(request, why, None, Vec::new);
        }
        let judged = match shell::judge(command, &mut rules_for, env) {
            Ok(j) => j,
            Err(e) => return Verdict::Deny(stopped(&e.to_string())),
        };
        if judged.decision.action == Action::Allow {
            continue;
        }
        let exact = exact(command, &cwd);
        // A human's `guard allow` for exactly this: the shim that runs it uses the grant.
        if let Some(cmd) = &exact
            && let Ok(Some(_)) = store.peek_grant(cmd, secs, key())
        {
            continue;
        }
        let shimmed = is_shimmed(command, &shim_dir, env);
        needs.push(Needs {
            judged,
            exact,
            shimmed,
        });
    }
    let Some(strictest) = needs.iter().map(|n| n.judged.decision.action).max() else {
        return Verdict::Silent;
    };
    // Tickets stand only where grants need no seal (`approval::ticket`).
    let protected = config.confirm_with_passphrase
        || !matches!(passphrase::source(dirs, &config), passphrase::Source::None);
    let verdict = answer_for(dirs, request, &needs, strictest, protected, &store, secs);
    record(dirs, request, &needs, &cwd, &verdict, env, now);
    verdict
}

/// How a decision that needs a human is answered (the module's doc says why).
fn answer_for(
    dirs: &Dirs,
    request: &Request,
    needs: &[Needs],
    strictest: Action,
    protected: bool,
    store: &Store,
    secs: u64,
) -> Verdict {
    let listing = listing(needs);
    let pending = || record_pending(store, needs, secs);
    if strictest == Action::Deny {
        return Verdict::Deny(denied(&listing, &pending()));
    }
    // Confirms only. Which of them would a shim ask about again after the agent's dialog?
    let asked_again: Vec<&Needs> = needs.iter().filter(|n| n.shimmed).collect();
    if asked_again.is_empty() {
        return ask_or_deny(request, &listing, None, pending);
    }
    let can_rewrite = matches!(request.ask, AskForm::Claude | AskForm::Gemini)
        && request.tool_input.is_some()
        && !protected;
    let exacts: Option<Vec<ExactCommand>> = asked_again.iter().map(|n| n.exact.clone()).collect();
    if can_rewrite
        && let Some(cmds) = exacts
        && let Ok(token) = ticket::issue(&dirs.state, &cmds, secs)
    {
        let rewrite = ticket::rewrite(&request.command, &token);
        return ask_or_deny(request, &listing, Some(rewrite), pending);
    }
    // The shim would ask again after the dialog: the one approval is `guard allow`.
    Verdict::Deny(cannot_ask(request, &listing, &pending()))
}

/// One audit line per command that needed a human, with `"layer": "hook"` (never waiting
/// for the log's lock: a slow hook lets the command run).
fn record(
    dirs: &Dirs,
    request: &Request,
    needs: &[Needs],
    cwd: &Path,
    verdict: &Verdict,
    env: &[(OsString, OsString)],
    now: std::time::SystemTime,
) {
    use crate::audit::{self, Outcome};
    let caller = audit::Caller::gather(env);
    for n in needs {
        let (outcome, why) = match verdict {
            Verdict::Ask { .. } => (Outcome::Asked, None),
            Verdict::Deny(_) => (
                Outcome::Refused,
                Some(format!("{}'s hook", request.caller.name())),
            ),
            Verdict::Silent => continue,
        };
        let entry = audit::Entry {
            outcome,
            refused_because: why,
            agent: Some(request.caller.name().to_string()),
            layer: Some("hook".into()),
            ..audit::Entry::decided(
                &n.judged.decision,
                n.judged.argv.clone(),
                cwd,
                caller.clone(),
                now,
            )
        };
        let _ = audit::append_nowait(&dirs.state, &entry);
    }
}

/// An ask where the caller has one; otherwise a deny that says how a human approves.
fn ask_or_deny(
    request: &Request,
    listing: &str,
    rewrite: Option<String>,
    pending: impl FnOnce() -> Vec<String>,
) -> Verdict {
    if request.ask == AskForm::None {
        return Verdict::Deny(cannot_ask(request, listing, &pending()));
    }
    Verdict::Ask {
        reason: format!("guard asks for your approval:\n{listing}"),
        rewrite,
    }
}

/// All words known: the exact command a grant or ticket names.
fn exact(command: &SimpleCommand, cwd: &Path) -> Option<ExactCommand> {
    let words: Option<Vec<&str>> = command.words.iter().map(Word::known).collect();
    let words = words?;
    let args: Vec<OsString> = words[1..].iter().map(OsString::from).collect();
    Some(ExactCommand::new(shell::basename(words[0]), &args, cwd))
}

/// Will a shim see this command: called by name, with a shim for it in the shim directory,
/// which is on the agent's PATH? (A wrong yes only makes the hook stricter.)
fn is_shimmed(command: &SimpleCommand, shim_dir: &Path, env: &[(OsString, OsString)]) -> bool {
    let Some(name) = command.words[0].known() else {
        return false;
    };
    if name.contains('/') || std::fs::symlink_metadata(shim_dir.join(name)).is_err() {
        return false;
    }
    env.iter()
        .find(|(k, _)| k == "PATH")
        .is_some_and(|(_, path)| std::env::split_paths(path).any(|d| d == shim_dir))
}

fn record_pending(store: &Store, needs: &[Needs], secs: u64) -> Vec<String> {
    needs
        .iter()
        .filter_map(|n| {
            let rules = n.judged.decision.rule_lines();
            // Never wait for the lock: an agent runs the command when its hook is slow.
            store.add_pending(n.exact.clone()?, rules, secs, false).ok()
        })
        .collect()
}

/// Each command that needs a human, and the rules that say so, escaped.
fn listing(needs: &[Needs]) -> String {
    use crate::display::escape;
    let mut out = String::new();
    for n in needs {
        let argv: Vec<OsString> = n.judged.argv.iter().map(OsString::from).collect();
        out.push_str(&format!("  {}\n", crate::display::shell_line(&argv)));
        for r in &n.judged.decision.rules {
            out.push_str(&format!(
                "    {} {}: {}\n",
                r.action.as_str(),
                escape(&r.id),
                escape(&r.reason)
            ));
        }
    }
    out
}

const DO_NOT: &str = "Do not try to run it another way (another path, a wrapper, a script, an \
                      interpreter, an API call): that is what guard is there to stop. Tell your \
                      human what you want to do and why, and let them decide.";

fn how_to_approve(ids: &[String]) -> String {
    if ids.is_empty() {
        "It cannot be approved as written (part of it is known only when it runs): your human \
         can run it themselves."
            .into()
    } else {
        format!(
            "If your human agrees, they let it run once by typing, in a terminal of their own: \
             guard allow {}\nThen run exactly the same command again.",
            ids.join(" ")
        )
    }
}

fn denied(listing: &str, ids: &[String]) -> String {
    format!(
        "denied this command:\n{listing}{DO_NOT}\n{}",
        how_to_approve(ids)
    )
}

fn cannot_ask(request: &Request, listing: &str, ids: &[String]) -> String {
    let why = match request.ask {
        AskForm::None if request.caller == Agent::Codex => "Codex hooks cannot ask the user",
        AskForm::None => "this hook cannot ask the user here",
        _ => "approving it in this dialog would not be enough (guard's shim asks again)",
    };
    format!(
        "this command needs a human's approval, and {why}:\n{listing}{DO_NOT}\n{}",
        how_to_approve(ids)
    )
}

fn stopped(why: &str) -> String {
    format!("the command was stopped: {why}\n{DO_NOT}")
}

/// `guard hook install AGENT [--system]`: guard's hook merged into the agent's settings.
pub fn install(dirs: &Dirs, agent: Agent, system: bool) -> Result {
    // The binary's real path: the agent runs it from its own PATH and directory.
    let guard = std::env::current_exe()
        .map_err(|e| Error::failed(format!("cannot find guard's own path: {e}")))?;
    let path = settings_file(dirs, agent, system);
    if agent == Agent::Codex && system {
        return install_codex_requirements(&path, &guard);
    }
    let old = read_settings(&path)?;
    let new = hook::install::merged(old.clone(), agent, &guard, system).map_err(|e| {
        Error::failed(format!(
            "{}: {e}; fix or move it, then run this again",
            path.display()
        ))
    })?;
    if new == old {
        println!("guard's hook is already in {}", path.display());
        return Ok(());
    }
    let backup = write_settings(&path, &new, system)?;
    println!("added guard's {} hook to {}", agent.name(), path.display());
    let (event, entry) = hook::install::entry(agent, &guard);
    println!("  hooks.{event} += {entry}");
    if let Some(b) = backup {
        println!("the file as it was: {}", b.display());
    }
    println!("still to do: {}", hook::install::still_to_do(agent, system));
    Ok(())
}

/// `guard hook uninstall AGENT [--system]`: guard's entries taken out, all else kept. It
/// loosens, so with a passphrase set a human types it.
pub fn uninstall(dirs: &Dirs, agent: Agent, system: bool) -> Result {
    let config = crate::config::load_checked(dirs).map_err(|d| Error::failed(d.to_string()))?;
    crate::approval::passphrase_for_loosening(dirs, &config)
        .map_err(|why| Error::refused(format!("hook uninstall: {why}")))?;
    let path = settings_file(dirs, agent, system);
    if agent == Agent::Codex && system {
        let text = read_text(&path)?;
        let (rest, found) = hook::install::codex_without_block(&text);
        if !found {
            println!("no guard hook in {}", path.display());
            return Ok(());
        }
        write_text(&path, rest.as_bytes(), true)?;
        println!("removed guard's codex hook from {}", path.display());
        return Ok(());
    }
    let old = read_settings(&path)?;
    let (rest, removed) = hook::install::without(old, agent)
        .map_err(|e| Error::failed(format!("{}: {e}", path.display())))?;
    if removed == 0 {
        println!("no guard hook in {}", path.display());
        return Ok(());
    }
    // Copilot's hook file is guard's own: nothing of the user's is in it.
    if agent == Agent::Copilot {
        std::fs::remove_file(&path)
            .map_err(|e| Error::failed(format!("cannot remove {}: {e}", path.display())))?;
    } else {
        write_settings(&path, &Value::Object(rest), system)?;
    }
    println!(
        "removed guard's {} hook from {}",
        agent.name(),
        path.display()
    );
    Ok(())
}

/// Where the agent reads the hook: its file under `$HOME` (where the agent itself looks), or
/// the machine's managed file under /etc.
fn settings_file(dirs: &Dirs, agent: Agent, system: bool) -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .filter(|h| h.is_absolute())
        .unwrap_or_else(crate::paths::account_home);
    hook::install::settings_file(agent, system, &home, &dirs.etc())
}

fn read_settings(path: &Path) -> Result<Value> {
    match std::fs::read(path) {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => Ok(Value::Null),
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Error::failed(format!(
                "{}:{}:{}: not JSON ({e}); fix or move it, then run this again",
                path.display(),
                e.line(),
                e.column()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Null),
        Err(e) => Err(Error::failed(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Write `value` to `path` (pretty, as people keep these files), after a backup of what was
/// there; the backup's path.
fn write_settings(path: &Path, value: &Value, system: bool) -> Result<Option<PathBuf>> {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| Error::failed(e.to_string()))?;
    text.push('\n');
    write_text(path, text.as_bytes(), system)
}

fn write_text(path: &Path, bytes: &[u8], system: bool) -> Result<Option<PathBuf>> {
    use std::os::unix::fs::PermissionsExt as _;
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        let hint = if system {
            " (the managed file is root's: run with sudo)"
        } else {
            ""
        };
        Error::failed(format!("cannot {what} {}: {e}{hint}", path.display()))
    };
    let old_mode = std::fs::metadata(path)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777);
    let backup = match old_mode {
        Some(_) => {
            let mut name = path.as_os_str().to_os_string();
            name.push(".guard-backup");
            let backup = PathBuf::from(name);
            std::fs::copy(path, &backup).map_err(|e| fail("back up", &e))?;
            Some(backup)
        }
        None => None,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| fail("create the directory of", &e))?;
    }
    // Managed files must be readable by everyone and writable by root alone (Copilot CLI
    // ignores a policy file that is group- or world-writable).
    let mode = if system {
        0o644
    } else {
        old_mode.unwrap_or(0o644)
    };
    crate::state::write_atomically_with_mode(path, bytes, mode)
        .map_err(|e| fail("write", &format!("{e:#}")))?;
    Ok(backup)
}

/// A settings file's text; a missing file is an empty one.
fn read_text(path: &Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::failed(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn install_codex_requirements(path: &Path, guard: &Path) -> Result {
    let text = read_text(path)?;
    let (text, _) = hook::install::codex_without_block(&text);
    let block = hook::install::codex_requirements_block(guard);
    if !hook::install::codex_can_append(&text) {
        return Err(Error::failed(format!(
            "{} already has `hooks` or `features` settings, which guard will not edit: add this yourself, merged with them:\n{block}",
            path.display()
        )));
    }
    let mut new = text;
    if !new.is_empty() && !new.ends_with('\n') {
        new.push('\n');
    }
    new.push_str(&block);
    let backup = write_text(path, new.as_bytes(), true)?;
    println!("added guard's codex hook to {}", path.display());
    if let Some(b) = backup {
        println!("the file as it was: {}", b.display());
    }
    println!(
        "still to do: {}",
        hook::install::still_to_do(Agent::Codex, true)
    );
    Ok(())
}
