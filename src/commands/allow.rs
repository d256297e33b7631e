//! `guard allow`: a human turns a refused command into a grant for that exact command, or
//! pre-approves one. Approving needs the human at an interactive terminal: the agent that was
//! refused cannot answer a prompt it never sees (and with a passphrase, not even through a pty).

use crate::approval::ask_and_unlock;
use crate::approval::grants::{ExactCommand, Grant, Store};
use crate::approval::passphrase::{self, Source};
use crate::approval::prompt::{Answer, Tty};
use crate::cli::AllowArgs;
use crate::display::escape;
use crate::error::{Error, Result};
use crate::layers::{Scope, load};
use crate::paths::Dirs;
use crate::rules::decision::decide;
use crate::state::{now, unix_secs};
use std::ffi::OsString;

pub fn run(dirs: &Dirs, req: AllowArgs) -> Result {
    let store = Store::new(&dirs.state);
    if req.watch {
        return watch(dirs, &store, req);
    }
    if req.list {
        return list(dirs, &store);
    }
    if let Some(id) = &req.revoke {
        return revoke(&store, id, req.all);
    }
    let lifetime = humantime::parse_duration(&req.duration).map_err(|e| {
        Error::usage(format!(
            "allow: --for {}: {e} (write e.g. 30s, 15m, 2h)",
            req.duration
        ))
    })?;
    // Everything below needs a human; check for one before reading anything else.
    let mut tty = Tty::open().map_err(|e| {
        Error::refused(format!(
            "allow: refused: approving needs a human at an interactive terminal ({e}).\n\
             Run `guard allow` yourself, in your own terminal."
        ))
    })?;
    let (rules, config) = load(dirs, Scope::All, now())?;
    let secret = match passphrase::source(dirs, &config) {
        Source::Broken(why) => return Err(Error::refused(format!("allow: refused: {why}"))),
        Source::Hash(h, _) => Some(h),
        Source::None => {
            if let Some(agent) = crate::agent::session() {
                return Err(Error::refused(format!(
                    "allow: refused: {}",
                    crate::agent::no_passphrase_refusal(&agent)
                )));
            }
            None
        }
    };
    // With a passphrase the grant is sealed by the key it unlocks (`approval::seal`).
    let key = passphrase::public_key(dirs, &config)
        .map_err(|why| Error::refused(format!("allow: refused: {why}")))?;
    let (cmd, pending_id, reasons) = if !req.command.is_empty() {
        let tool = std::path::Path::new(&req.command[0])
            .file_name()
            .and_then(|t| t.to_str())
            .ok_or_else(|| Error::usage("allow: the tool name must be valid UTF-8"))?
            .to_string();
        let args = &req.command[1..];
        let cwd = match &req.cwd {
            Some(dir) => std::fs::canonicalize(dir)
                .map_err(|e| Error::usage(format!("allow: --cwd {}: {e}", dir.display())))?,
            None => std::env::current_dir()
                .map_err(|e| Error::failed(format!("allow: the current directory: {e}")))?,
        };
        let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
        let decision = decide(
            &rules,
            &tool,
            args,
            &env,
            &crate::host::Host::for_examples(false),
        );
        (
            ExactCommand::new(&tool, args, &cwd),
            None,
            decision.rule_lines(),
        )
    } else {
        let state = store.update(unix_secs(now()), |s| s.pending.clone())?;
        let id = match &req.id {
            Some(id) => id.clone(),
            None => match pick(&mut tty, &state)? {
                Some(id) => id,
                None => return Err(Error::refused("allow: cancelled")),
            },
        };
        let Some(p) = state.into_iter().find(|p| p.id == id) else {
            return Err(Error::failed(format!(
                "allow: no pending request {id} (see `guard allow` for the list)"
            )));
        };
        let mut cmd = p.command.clone();
        if let Some(dir) = &req.cwd {
            let dir = std::fs::canonicalize(dir)
                .map_err(|e| Error::usage(format!("allow: --cwd {}: {e}", dir.display())))?;
            let args = cmd.args().unwrap_or_default();
            cmd = ExactCommand::new(&cmd.tool, &args, &dir);
        }
        (cmd, Some(id), p.rules)
    };
    let (shown, shown_cwd) = cmd.shown();
    let mut text = format!("\r\nAllow this command to run:\r\n    {shown}\r\n  in {shown_cwd}\r\n");
    for r in &reasons {
        text.push_str(&format!("  {}\r\n", escape(r)));
    }
    text.push_str(&format!(
        "{} use(s), for {}. Type yes to allow it: ",
        req.uses,
        humantime::format_duration(lifetime)
    ));
    match tty.ask(&text, true, config.confirm_timeout)? {
        Answer::Line(l) if l.trim() == "yes" => {}
        _ => return Err(Error::refused("allow: not approved; nothing changed")),
    }
    let signer = match secret {
        Some(hash) => ask_and_unlock(&mut tty, &hash, key.as_ref(), &config)
            .map_err(|why| Error::refused(format!("allow: refused: {why}")))?,
        None => None,
    };
    let t = unix_secs(now());
    let expires = t + lifetime.as_secs().max(1);
    let id = store.update(t, |state| {
        let id = pending_id
            .clone()
            .unwrap_or_else(|| crate::state::random_hex(3));
        state.pending.retain(|p| Some(&p.id) != pending_id.as_ref());
        let mut grant = Grant {
            id: id.clone(),
            command: cmd.clone(),
            uses_left: req.uses,
            expires,
            created: t,
            seal: None,
        };
        grant.seal = signer.as_ref().map(|s| s.seal(&grant.message()));
        state.grants.push(grant);
        id
    })?;
    println!(
        "granted {id}: {shown} in {shown_cwd} ({} use(s), until {})",
        req.uses,
        humantime::format_rfc3339_seconds(
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(expires)
        )
    );
    Ok(())
}

/// `--watch`: wait for pending requests and offer them one by one, as `guard allow` does,
/// until interrupted. A call waiting under `approval_wait` then runs as soon as one is granted.
fn watch(dirs: &Dirs, store: &Store, req: AllowArgs) -> Result {
    Tty::open().map_err(|e| {
        Error::refused(format!(
            "allow: refused: approving needs a human at an interactive terminal ({e})"
        ))
    })?;
    let mut said = false;
    loop {
        let pending = store.update(unix_secs(now()), |s| s.pending.len())?;
        if pending == 0 {
            if !said {
                println!("watching for pending requests (Ctrl-C ends)");
                said = true;
            }
            std::thread::sleep(std::time::Duration::from_millis(500));
            continue;
        }
        said = false;
        let once = AllowArgs {
            watch: false,
            ..req.clone()
        };
        if let Err(e) = run(dirs, once)
            && let Some(message) = e.message()
        {
            eprintln!("guard: {message}");
        }
    }
}

fn pick(tty: &mut Tty, pending: &[crate::approval::grants::Pending]) -> Result<Option<String>> {
    if pending.is_empty() {
        println!("no pending requests");
        return Err(Error::reported(crate::exit::REFUSED));
    }
    let mut text = String::from("Pending requests:\r\n");
    for p in pending {
        let (command, cwd) = p.command.shown();
        text.push_str(&format!("  {}  {command}  (in {cwd})\r\n", escape(&p.id)));
    }
    text.push_str("Type the id to approve (anything else cancels): ");
    match tty.ask(&text, true, std::time::Duration::from_secs(120))? {
        Answer::Line(l) if pending.iter().any(|p| p.id == l.trim()) => {
            Ok(Some(l.trim().to_string()))
        }
        _ => Ok(None),
    }
}

fn list(dirs: &Dirs, store: &Store) -> Result {
    let t = unix_secs(now());
    let config =
        crate::config::load_checked(dirs).map_err(|d| Error::failed(format!("allow: {d}")))?;
    let key = passphrase::public_key(dirs, &config).ok().flatten();
    let (grants, pending) = store.update(t, |s| (s.grants.clone(), s.pending.clone()))?;
    if grants.is_empty() {
        println!("no live grants");
    }
    for g in &grants {
        let (command, cwd) = g.command.shown();
        let unsealed = if g.sealed_by(key.as_ref()) {
            ""
        } else {
            "  IGNORED: not sealed by the passphrase's key"
        };
        println!(
            "{}  {command}  in {cwd}  ({} use(s) left, {} left){unsealed}",
            escape(&g.id),
            g.uses_left,
            humantime::format_duration(std::time::Duration::from_secs(g.expires.saturating_sub(t)))
        );
    }
    if !pending.is_empty() {
        println!(
            "{} pending request(s): run `guard allow` in a terminal to review them",
            pending.len()
        );
    }
    Ok(())
}

fn revoke(store: &Store, id: &str, all: bool) -> Result {
    if id.is_empty() && !all {
        return Err(Error::usage("allow: --revoke needs a grant id, or --all"));
    }
    let removed = store.update(unix_secs(now()), |s| {
        let before = s.grants.len();
        s.grants.retain(|g| !(all || g.id == id));
        before - s.grants.len()
    })?;
    if removed == 0 && !all {
        return Err(Error::failed(format!("allow: no live grant {id}")));
    }
    println!("revoked {removed} grant(s)");
    Ok(())
}
