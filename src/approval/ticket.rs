//! One approval, never zero: the seam between an agent's own permission dialog and the shim.
//!
//! When Claude Code's hook asks, guard also rewrites the command to
//! `export GUARD_TICKET=TOKEN; COMMAND`. Claude Code runs the rewritten command only if the
//! human says yes in its dialog; the shim then finds a ticket for the exact command (tool,
//! arguments, directory) under that token, uses it up, and does not ask again. If the human
//! says no, the rewritten command never runs and the ticket expires unused.
//!
//! What is stored is only a hash of token and command, as a file name: reading guard's state
//! gives no token, and a token fits no other command. A ticket lives ten minutes and is used
//! once (a rename, which one caller wins). An agent that can write guard's state could forge
//! one, exactly as it could forge a grant, so tickets count only where grants need no seal:
//! with a passphrase set they are never issued nor honoured (docs/threat-model.md).

use super::grants::ExactCommand;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The variable the rewritten command sets for the shim.
pub const VAR: &str = "GUARD_TICKET";

/// How long a human has to answer the agent's dialog.
pub const LIFETIME_SECS: u64 = 600;

fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("tickets")
}

fn file(state_dir: &Path, token: &str, cmd: &ExactCommand) -> PathBuf {
    let mut h = Sha256::new();
    for part in [token, &cmd.tool]
        .into_iter()
        .chain(cmd.args_hex.iter().map(String::as_str))
        .chain([cmd.cwd_hex.as_str()])
    {
        h.update(part.as_bytes());
        h.update([0]);
    }
    dir(state_dir).join(crate::state::hex(&h.finalize()))
}

/// A fresh token with a ticket for each of `cmds`; expired tickets are swept on the way.
pub fn issue(state_dir: &Path, cmds: &[ExactCommand], now: u64) -> anyhow::Result<String> {
    let dir = dir(state_dir);
    crate::state::ensure_private_dir(&dir)?;
    sweep(&dir, now);
    let token = crate::state::random_hex(16);
    let expires = (now + LIFETIME_SECS).to_string();
    for cmd in cmds {
        crate::state::write_atomically(&file(state_dir, &token, cmd), expires.as_bytes())?;
    }
    Ok(token)
}

/// The command prefixed so that it carries `token` to the shim.
pub fn rewrite(command: &str, token: &str) -> String {
    format!("export {VAR}={token}; {command}")
}

/// Use up the ticket for `cmd` under `token`: true if there was a live one.
pub fn redeem(state_dir: &Path, token: &str, cmd: &ExactCommand, now: u64) -> bool {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let path = file(state_dir, token, cmd);
    let claimed = path.with_extension("used");
    // The rename is the use: of two shims racing for one ticket, one wins.
    if std::fs::rename(&path, &claimed).is_err() {
        return false;
    }
    let expires = std::fs::read_to_string(&claimed)
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok());
    let _ = std::fs::remove_file(&claimed);
    expires.is_some_and(|e| e > now)
}

fn sweep(dir: &Path, now: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let expired = std::fs::read_to_string(e.path())
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .is_none_or(|t| t <= now);
        if expired {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn cmd(args: &[&str], cwd: &str) -> ExactCommand {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        ExactCommand::new("railway", &args, Path::new(cwd))
    }

    #[test]
    fn a_ticket_fits_one_command_once_before_it_expires() {
        let state = tempfile::tempdir().unwrap();
        let down = cmd(&["down"], "/p");
        let token = issue(state.path(), std::slice::from_ref(&down), 100).unwrap();
        assert!(!redeem(
            state.path(),
            &token,
            &cmd(&["down", "-y"], "/p"),
            100
        ));
        assert!(!redeem(state.path(), &token, &cmd(&["down"], "/q"), 100));
        assert!(!redeem(state.path(), &"0".repeat(32), &down, 100));
        assert!(redeem(state.path(), &token, &down, 100));
        assert!(!redeem(state.path(), &token, &down, 100), "used up");
        let token = issue(state.path(), std::slice::from_ref(&down), 100).unwrap();
        assert!(!redeem(state.path(), &token, &down, 100 + LIFETIME_SECS));
    }

    #[test]
    fn the_state_holds_no_token() {
        let state = tempfile::tempdir().unwrap();
        let token = issue(state.path(), &[cmd(&["down"], "/p")], 100).unwrap();
        for e in std::fs::read_dir(state.path().join("tickets")).unwrap() {
            let e = e.unwrap();
            assert!(!e.file_name().to_string_lossy().contains(&token));
            assert!(!std::fs::read_to_string(e.path()).unwrap().contains(&token));
        }
    }
}
