//! The audit trail: one JSON line per intercepted call in `$XDG_STATE_HOME/guard/audit.jsonl`,
//! appended under a lock in a single write, so concurrent shims never interleave or lose lines.

use crate::rules::Action;
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub time: String,
    pub tool: String,
    pub argv: Vec<String>,
    pub cwd: String,
    /// What the rules decided.
    pub decision: Logged,
    /// What happened.
    pub outcome: Outcome,
    pub rules: Vec<String>,
    pub approved_by: Approver,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refused_because: Option<String>,
    /// The caller's numeric user id (`getent passwd UID` names it). Not the name: resolving it
    /// is a password-database lookup (NSS, perhaps a network directory) on every call.
    #[serde(default)]
    pub uid: Option<u32>,
    pub tty: Option<String>,
    pub parent: Option<String>,
    /// The agent recognised from its environment markers. Recorded, never trusted: an agent
    /// can unset any variable, so no decision depends on this.
    pub agent: Option<String>,
    /// Which layer decided: absent for a shim, `strict` for `guard run --strict`'s gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

/// The decision an entry records: the rules' action, or `error` when they could not be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Logged {
    Allow,
    Confirm,
    Deny,
    Error,
}

impl From<Action> for Logged {
    fn from(action: Action) -> Logged {
        match action {
            Action::Allow => Logged::Allow,
            Action::Confirm => Logged::Confirm,
            Action::Deny => Logged::Deny,
        }
    }
}

impl Logged {
    pub fn as_str(self) -> &'static str {
        match self {
            Logged::Allow => "allow",
            Logged::Confirm => "confirm",
            Logged::Deny => "deny",
            Logged::Error => "error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ran,
    Refused,
    /// Put to the human in the agent's own dialog (a hook's ask): what they said is the
    /// agent's to know; a shim records the run if one follows.
    Asked,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ran => "ran",
            Outcome::Refused => "refused",
            Outcome::Asked => "asked",
        }
    }
}

/// Who let a command that needed a human run: written `none`, `tty`, `grant:ID` or
/// `agent-dialog` (the human said yes in the agent's own dialog: `approval::ticket`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Approver {
    None,
    Tty,
    Grant(String),
    AgentDialog,
}

impl From<Approver> for String {
    fn from(a: Approver) -> String {
        match a {
            Approver::None => "none".into(),
            Approver::Tty => "tty".into(),
            Approver::Grant(id) => format!("grant:{id}"),
            Approver::AgentDialog => "agent-dialog".into(),
        }
    }
}

impl TryFrom<String> for Approver {
    type Error = String;
    fn try_from(s: String) -> Result<Approver, String> {
        match s.as_str() {
            "none" => Ok(Approver::None),
            "tty" => Ok(Approver::Tty),
            "agent-dialog" => Ok(Approver::AgentDialog),
            _ => match s.strip_prefix("grant:") {
                Some(id) => Ok(Approver::Grant(id.to_string())),
                None => Err(format!("`{s}` is not none, tty, grant:ID or agent-dialog")),
            },
        }
    }
}

pub fn log_path(state_dir: &Path) -> PathBuf {
    state_dir.join("audit.jsonl")
}

pub fn append(state_dir: &Path, entry: &Entry) -> anyhow::Result<()> {
    append_locking(state_dir, entry, true)
}

/// `append` for the agents' hooks, which must answer within the agent's timeout: if another
/// writer holds the lock for longer than `state::HOOK_LOCK_WAIT`, the entry is given up (and
/// an error returned).
pub fn append_nowait(state_dir: &Path, entry: &Entry) -> anyhow::Result<()> {
    append_locking(state_dir, entry, false)
}

fn append_locking(state_dir: &Path, entry: &Entry, wait: bool) -> anyhow::Result<()> {
    let path = log_path(state_dir);
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
    };
    // Every shim call appends: create the directory only when the log is not there yet.
    let mut file = match open() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            crate::state::ensure_private_dir(state_dir)?;
            open()
        }
        opened => {
            crate::state::check_private_dir(state_dir)?;
            opened
        }
    }
    .with_context(|| format!("opening audit log {}", path.display()))?;
    // One write of the whole line: with O_APPEND and the lock, lines never interleave.
    let mut line = serde_json::to_vec(entry).context("encoding the audit entry")?;
    line.push(b'\n');
    // Closing the file releases the lock.
    crate::state::lock(&file, wait)
        .with_context(|| format!("locking audit log {}", path.display()))?;
    file.write_all(&line)
        .with_context(|| format!("appending to audit log {}", path.display()))?;
    Ok(())
}

/// Record a guard command that loosened something (`guard disable`, `guard uninstall`), sealed
/// by the passphrase or not, so `guard log` shows it beside the calls it let through.
pub fn record_loosening(state_dir: &Path, sealed: bool) -> anyhow::Result<()> {
    let approved_by = if sealed {
        Approver::Tty
    } else {
        Approver::None
    };
    append(state_dir, &own_entry(approved_by, None))
}

/// Record the start of a `guard run` session: the commands its tree runs carry its marker.
pub fn record_session(state_dir: &Path, session: &str) -> anyhow::Result<()> {
    let agent = Some(format!("guard run session {session}"));
    append(state_dir, &own_entry(Approver::None, agent))
}

impl Entry {
    /// The entry for `decision` on `argv` in `cwd`, made by `caller` at `now`: ran, approved by
    /// no one, by no particular layer. Each layer sets what differs (`Entry { outcome, ..
    /// Entry::decided(…) }`).
    pub fn decided(
        decision: &crate::rules::decision::Decision,
        argv: Vec<String>,
        cwd: &Path,
        caller: Caller,
        now: std::time::SystemTime,
    ) -> Entry {
        Entry {
            time: humantime::format_rfc3339_seconds(now).to_string(),
            tool: decision.tool.clone(),
            argv,
            cwd: cwd.display().to_string(),
            decision: Logged::from(decision.action),
            outcome: Outcome::Ran,
            rules: decision.rules.iter().map(|r| r.id.clone()).collect(),
            approved_by: Approver::None,
            refused_because: None,
            uid: Some(caller.uid),
            tty: caller.tty,
            parent: caller.parent,
            agent: caller.agent,
            layer: None,
        }
    }
}

/// Each argument as the log shows it (lossy where it is not UTF-8).
pub fn shown_argv(argv: &[OsString]) -> Vec<String> {
    argv.iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// An entry for this `guard` command itself (what it ran is its own argv).
fn own_entry(approved_by: Approver, agent: Option<String>) -> Entry {
    let env: Vec<(std::ffi::OsString, std::ffi::OsString)> = std::env::vars_os().collect();
    let caller = Caller::gather(&env);
    Entry {
        time: humantime::format_rfc3339_seconds(crate::state::now()).to_string(),
        tool: "guard".into(),
        argv: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        cwd: std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_default(),
        decision: Logged::Allow,
        outcome: Outcome::Ran,
        rules: Vec::new(),
        approved_by,
        refused_because: None,
        uid: Some(caller.uid),
        tty: caller.tty,
        parent: caller.parent,
        agent: agent.or(caller.agent),
        layer: None,
    }
}

pub fn read(state_dir: &Path) -> anyhow::Result<Vec<Entry>> {
    let path = log_path(state_dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .with_context(|| format!("{}:{}: not an audit entry", path.display(), i + 1))
        })
        .collect()
}

/// Who and where: the facts about this process an entry records.
#[derive(Clone)]
pub struct Caller {
    pub uid: u32,
    pub tty: Option<String>,
    pub parent: Option<String>,
    pub agent: Option<String>,
}

impl Caller {
    pub fn gather(env: &[(OsString, OsString)]) -> Caller {
        let uid = nix::unistd::getuid().as_raw();
        // The terminal the call is attached to, if any of stdin, stdout, stderr is one.
        let tty = [0, 1, 2].into_iter().find_map(|fd| {
            use std::io::IsTerminal as _;
            // SAFETY: fds 0-2 stay open for the life of the process; borrowed only here.
            let fd = unsafe { std::os::fd::BorrowedFd::borrow_raw(fd) };
            // isatty first: one ioctl, where ttyname zeroes a 4 KiB buffer on the heap (three
            // pages and 13k instructions for an agent's call, which has no terminal).
            fd.is_terminal()
                .then(|| nix::unistd::ttyname(fd).ok())
                .flatten()
                .map(|p| p.display().to_string())
        });
        Caller {
            uid,
            tty,
            parent: parent_name(),
            agent: crate::agent::recognise(env),
        }
    }
}

/// The parent process's name: one open and one read (comm is at most 16 bytes).
fn parent_name() -> Option<String> {
    use std::io::Read as _;
    let mut comm = [0u8; 32];
    let path = format!("/proc/{}/comm", nix::unistd::getppid());
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut comm))
        .ok()?;
    Some(String::from_utf8_lossy(&comm[..n]).trim_end().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approvers_round_trip_through_their_written_form() {
        for a in [
            Approver::None,
            Approver::Tty,
            Approver::Grant("3fa2c1".into()),
            Approver::AgentDialog,
        ] {
            let text = serde_json::to_string(&a).unwrap();
            assert_eq!(serde_json::from_str::<Approver>(&text).unwrap(), a);
        }
        assert_eq!(
            serde_json::to_string(&Approver::Grant("ab".into())).unwrap(),
            "\"grant:ab\""
        );
        assert!(serde_json::from_str::<Approver>("\"root\"").is_err());
    }
}
