//! Pending requests (refused commands a human may approve) and grants (approvals that let an
//! exact command run a limited number of times). One JSON file under a file lock, rewritten
//! atomically, so concurrent shims never both consume a one-use grant.

use crate::state::{hex, unhex};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// An exact command: tool, arguments and working directory, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExactCommand {
    pub tool: String,
    /// Each argument hex-encoded: arguments need not be UTF-8, and must compare exactly.
    pub args_hex: Vec<String>,
    pub cwd_hex: String,
    /// For people: the command and cwd as text (lossy for non-UTF-8).
    pub command: String,
    pub cwd: String,
}

impl ExactCommand {
    pub fn new(tool: &str, args: &[OsString], cwd: &Path) -> ExactCommand {
        ExactCommand {
            tool: tool.to_string(),
            args_hex: args.iter().map(|a| hex(a.as_bytes())).collect(),
            cwd_hex: hex(cwd.as_os_str().as_bytes()),
            command: crate::display::tool_line(tool, args),
            cwd: cwd.display().to_string(),
        }
    }

    pub fn args(&self) -> Option<Vec<OsString>> {
        self.args_hex
            .iter()
            .map(|h| unhex(h).map(OsString::from_vec))
            .collect()
    }

    pub fn cwd_path(&self) -> Option<PathBuf> {
        unhex(&self.cwd_hex).map(|b| PathBuf::from(OsString::from_vec(b)))
    }

    /// The command and its directory as a person must see them (`display`): rebuilt from
    /// the exact bytes, not from the stored text, which whatever wrote the file chose.
    pub fn shown(&self) -> (String, String) {
        use crate::display::{escape, escape_bytes, tool_line};
        let command = match self.args() {
            Some(args) => tool_line(&self.tool, &args),
            None => escape(&self.command).into_owned(),
        };
        let cwd = match self.cwd_path() {
            Some(dir) => escape_bytes(dir.as_os_str().as_bytes()),
            None => escape(&self.cwd).into_owned(),
        };
        (command, cwd)
    }

    fn same(&self, other: &ExactCommand) -> bool {
        self.tool == other.tool && self.args_hex == other.args_hex && self.cwd_hex == other.cwd_hex
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub id: String,
    #[serde(flatten)]
    pub command: ExactCommand,
    /// `action id: reason` of each matched rule.
    pub rules: Vec<String>,
    pub time: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    #[serde(flatten)]
    pub command: ExactCommand,
    pub uses_left: u32,
    pub expires: u64,
    pub created: u64,
    /// The human's seal (`seal::grant_message`), when a passphrase is set: without a valid
    /// one, a grant written by anything else is ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal: Option<String>,
}

impl Grant {
    /// What `seal` signs.
    pub fn message(&self) -> Vec<u8> {
        super::seal::grant_message(
            &self.id,
            &self.command.tool,
            &self.command.args_hex,
            &self.command.cwd_hex,
            self.expires,
        )
    }

    /// Whether the grant counts under `key` (`None`: no passphrase, nothing is sealed).
    pub fn sealed_by(&self, key: Option<&super::seal::PublicKey>) -> bool {
        key.is_none_or(|k| {
            self.seal
                .as_ref()
                .is_some_and(|s| k.verifies(&self.message(), s))
        })
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    pub version: u32,
    pub pending: Vec<Pending>,
    pub grants: Vec<Grant>,
}

pub struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(state_dir: &Path) -> Store {
        Store {
            dir: state_dir.to_path_buf(),
        }
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join("grants.json")
    }

    /// Run `f` on the state under an exclusive lock; a changed state is written back atomically
    /// (temporary file + rename). A state file that cannot be read refuses: never allow.
    pub fn update<T>(&self, now: u64, f: impl FnOnce(&mut State) -> T) -> anyhow::Result<T> {
        self.update_locking(now, true, f)
    }

    fn update_locking<T>(
        &self,
        now: u64,
        wait: bool,
        f: impl FnOnce(&mut State) -> T,
    ) -> anyhow::Result<T> {
        crate::state::ensure_private_dir(&self.dir)?;
        let lock_path = self.dir.join("grants.lock");
        let lock_file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .with_context(|| format!("opening {}", lock_path.display()))?;
        // Held until `lock_file` is dropped, at the end of the update.
        crate::state::lock(&lock_file, wait)
            .with_context(|| format!("locking {}", lock_path.display()))?;
        let path = self.file();
        let mut state = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<State>(&bytes).with_context(|| {
                format!(
                    "state file {} is corrupt; remove it to drop all pending requests and grants",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => State::default(),
            Err(e) => {
                return Err(e).with_context(|| format!("reading state file {}", path.display()));
            }
        };
        let before = serde_json::to_vec(&state)?;
        state.grants.retain(|g| g.expires > now && g.uses_left > 0);
        // Pending requests are only useful while someone might still approve them.
        state.pending.retain(|p| p.time + 24 * 3600 > now);
        let out = f(&mut state);
        state.version = 1;
        let after = serde_json::to_vec_pretty(&state)?;
        if after != before {
            crate::state::write_atomically(&path, &after)?;
        }
        Ok(out)
    }

    /// Use one use of a live grant for exactly this command, sealed under `key` when there is
    /// one; its id when there was one.
    pub fn consume_grant(
        &self,
        cmd: &ExactCommand,
        now: u64,
        key: Option<&super::seal::PublicKey>,
    ) -> anyhow::Result<Option<String>> {
        self.update(now, |state| {
            let grant = state
                .grants
                .iter_mut()
                .find(|g| g.command.same(cmd) && g.sealed_by(key))?;
            grant.uses_left -= 1;
            let id = grant.id.clone();
            state.grants.retain(|g| g.uses_left > 0);
            Some(id)
        })
    }

    /// The id of a live grant for exactly this command, without using it (the hooks: the
    /// shim that runs the command uses it). Read without the lock: writers replace the file
    /// whole, so a read sees one state or the next.
    pub fn peek_grant(
        &self,
        cmd: &ExactCommand,
        now: u64,
        key: Option<&super::seal::PublicKey>,
    ) -> anyhow::Result<Option<String>> {
        let path = self.file();
        let state = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice::<State>(&bytes)
                .with_context(|| format!("state file {} is corrupt", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        Ok(state
            .grants
            .into_iter()
            .find(|g| g.expires > now && g.uses_left > 0 && g.command.same(cmd) && g.sealed_by(key))
            .map(|g| g.id))
    }

    /// Wait up to `wait` (`approval_wait`) for a human's grant for exactly this command, checking
    /// four times a second; the grant's id, used up, if one comes. `now` is when the wait began.
    pub fn await_grant(
        &self,
        cmd: &ExactCommand,
        now: u64,
        key: Option<&super::seal::PublicKey>,
        wait: std::time::Duration,
    ) -> Option<String> {
        let start = std::time::Instant::now();
        while start.elapsed() < wait {
            std::thread::sleep(std::time::Duration::from_millis(250));
            let now = now + start.elapsed().as_secs();
            if let Ok(Some(grant)) = self.consume_grant(cmd, now, key) {
                return Some(grant);
            }
        }
        None
    }

    /// Record a refused command so a human can approve it with `guard allow ID`. `wait`:
    /// whether to wait for the lock as long as it takes (the shim) or for a bounded time (a
    /// hook, which must answer within the agent's timeout).
    pub fn add_pending(
        &self,
        cmd: ExactCommand,
        rules: Vec<String>,
        now: u64,
        wait: bool,
    ) -> anyhow::Result<String> {
        self.update_locking(now, wait, |state| {
            if let Some(p) = state.pending.iter_mut().find(|p| p.command.same(&cmd)) {
                p.time = now;
                p.rules = rules;
                return p.id.clone();
            }
            let id = fresh_id(state);
            state.pending.push(Pending {
                id: id.clone(),
                command: cmd,
                rules,
                time: now,
            });
            id
        })
    }
}

fn fresh_id(state: &State) -> String {
    loop {
        let id = crate::state::random_hex(3);
        let taken =
            state.pending.iter().any(|p| p.id == id) || state.grants.iter().any(|g| g.id == id);
        if !taken {
            return id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_any_bytes() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn a_grant_matches_only_the_exact_command_and_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(&dir.path().join("state"));
        let cmd = ExactCommand::new("t", &[OsString::from("drop")], Path::new("/w"));
        let other = ExactCommand::new("t", &[OsString::from("drop"), "x".into()], Path::new("/w"));
        let elsewhere = ExactCommand::new("t", &[OsString::from("drop")], Path::new("/v"));
        store
            .update(100, |s| {
                s.grants.push(Grant {
                    id: "g1".into(),
                    command: cmd.clone(),
                    uses_left: 2,
                    expires: 200,
                    created: 100,
                    seal: None,
                })
            })
            .unwrap();
        assert_eq!(store.consume_grant(&other, 101, None).unwrap(), None);
        assert_eq!(store.consume_grant(&elsewhere, 101, None).unwrap(), None);
        assert_eq!(
            store.consume_grant(&cmd, 101, None).unwrap().as_deref(),
            Some("g1")
        );
        assert_eq!(
            store.consume_grant(&cmd, 250, None).unwrap(),
            None,
            "expired"
        );
    }
}
