//! Recognising a coding agent: by the environment markers the agents document for the
//! shells they start, and by the processes above guard (an agent's own process, or a shell
//! whose environment carries a marker). A heuristic, used two ways: recorded in the audit log
//! (never trusted there), and to refuse what only a human may do where no passphrase stands
//! in the way (`guard passphrase set` for the first time, approving without a passphrase).
//! What defeats it is in docs/threat-model.md.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt as _;

/// `guard run`'s marker for the process tree it starts.
pub const RUN_MARKER: &str = "GUARD_RUN_SESSION";

/// Every variable `recognise` reads, each documented by its agent (README, docs/threat-model.md).
pub const MARKERS: &[&str] = &[
    "CLAUDE_CODE_CHILD_SESSION",
    "CLAUDECODE",
    "GEMINI_CLI",
    "COPILOT_CLI",
    "CODEX_THREAD_ID",
    "CODEX_SANDBOX",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "CODEX_CI",
    "CURSOR_AGENT",
    "OR_APP_NAME",
    RUN_MARKER,
];

/// The agent an environment's markers name, if any.
pub fn recognise(env: &[(OsString, OsString)]) -> Option<String> {
    let has = |name: &str| env.iter().any(|(k, v)| k == name && !v.is_empty());
    let is = |name: &str, value: &str| env.iter().any(|(k, v)| k == name && v == value);
    let agent = if has("CLAUDE_CODE_CHILD_SESSION") {
        "claude-code"
    } else if is("CLAUDECODE", "1") {
        "claude-code (or a terminal in its IDE extension)"
    } else if is("GEMINI_CLI", "1") {
        "gemini-cli"
    } else if is("COPILOT_CLI", "1") {
        "copilot-cli"
    } else if has("CODEX_THREAD_ID")
        || has("CODEX_SANDBOX")
        || has("CODEX_SANDBOX_NETWORK_DISABLED")
        || has("CODEX_CI")
    {
        "codex"
    } else if has("CURSOR_AGENT") {
        "cursor"
    } else if is("OR_APP_NAME", "Aider") {
        "aider"
    } else if let Some((_, id)) = env.iter().find(|(k, v)| k == RUN_MARKER && !v.is_empty()) {
        return Some(format!("guard run session {}", id.to_string_lossy()));
    } else {
        return None;
    };
    Some(agent.to_string())
}

/// Executable names of agents' own processes (the CLI, or the package its Node runs).
const AGENT_PROGRAMS: &[(&str, &str)] = &[
    ("claude", "claude-code"),
    ("@anthropic-ai/claude-code", "claude-code"),
    ("codex", "codex"),
    ("@openai/codex", "codex"),
    ("gemini", "gemini-cli"),
    ("@google/gemini-cli", "gemini-cli"),
    ("copilot", "copilot-cli"),
    ("@github/copilot", "copilot-cli"),
    ("cursor-agent", "cursor"),
    ("aider", "aider"),
];

/// What a refusal says when only the missing passphrase let an agent in.
pub fn no_passphrase_refusal(agent: &str) -> String {
    format!(
        "no passphrase is set, and this runs inside an agent session ({agent}): an agent could \
         approve its own command. Approve from a terminal of your own, or set a passphrase there \
         (`guard passphrase set`)"
    )
}

/// The agent this process runs under, and how that shows: this process's environment, or a
/// process above it (its program, or the markers in its environment). `None` when nothing
/// says so, which proves nothing: see docs/threat-model.md.
pub fn session() -> Option<String> {
    let env: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    if let Some(agent) = recognise(&env) {
        return Some(format!("{agent} (its environment markers)"));
    }
    // The test suite stops the walk at its own process, so that it sees only what it built
    // (debug builds only: a release build walks to the top).
    let stop = std::env::var("GUARD_ANCESTRY_ROOT")
        .ok()
        .filter(|_| cfg!(debug_assertions))
        .and_then(|pid| pid.parse::<i32>().ok());
    let mut pid = nix::unistd::getppid().as_raw();
    // Bounded: a PID loop cannot happen, but a corrupt /proc read must not spin.
    for _ in 0..64 {
        if pid <= 1 || Some(pid) == stop {
            return None;
        }
        let proc = format!("/proc/{pid}");
        if let Some(agent) = program_agent(&proc) {
            return Some(format!("{agent} (process {pid} above this one)"));
        }
        if let Ok(environ) = std::fs::read(format!("{proc}/environ")) {
            let env = parse_environ(&environ);
            if let Some(agent) = recognise(&env) {
                return Some(format!(
                    "{agent} (the environment of process {pid} above this one)"
                ));
            }
        }
        pid = parent_of(&proc)?;
    }
    None
}

/// The agent a process's program is, by its name or its first arguments' base names.
fn program_agent(proc: &str) -> Option<&'static str> {
    let comm = std::fs::read(format!("{proc}/comm")).unwrap_or_default();
    let cmdline = std::fs::read(format!("{proc}/cmdline")).unwrap_or_default();
    let names = std::iter::once(comm.trim_ascii_end())
        .chain(cmdline.split(|&b| b == 0).take(3))
        .map(|word| word.rsplit(|&b| b == b'/').next().unwrap_or(word));
    let words: Vec<&[u8]> = names.collect();
    let cmdline = String::from_utf8_lossy(&cmdline);
    AGENT_PROGRAMS.iter().find_map(|(program, agent)| {
        let named = words.contains(&program.as_bytes());
        let package = program.starts_with('@') && cmdline.contains(program);
        (named || package).then_some(*agent)
    })
}

/// The parent's pid from `/proc/PID/stat` (the field after the parenthesised name, which
/// may itself hold spaces and parentheses).
fn parent_of(proc: &str) -> Option<i32> {
    let stat = std::fs::read(format!("{proc}/stat")).ok()?;
    let after = &stat[stat.iter().rposition(|&b| b == b')')? + 1..];
    let fields: Vec<&[u8]> = after
        .split(|&b| b == b' ')
        .filter(|f| !f.is_empty())
        .collect();
    std::str::from_utf8(fields.get(1)?).ok()?.parse().ok()
}

fn parse_environ(environ: &[u8]) -> Vec<(OsString, OsString)> {
    environ
        .split(|&b| b == 0)
        .filter_map(|kv| {
            let eq = kv.iter().position(|&b| b == b'=')?;
            Some((
                std::ffi::OsStr::from_bytes(&kv[..eq]).to_os_string(),
                std::ffi::OsStr::from_bytes(&kv[eq + 1..]).to_os_string(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_marker_names_its_agent() {
        let cases = [
            ("CLAUDE_CODE_CHILD_SESSION", "1", "claude-code"),
            (
                "CLAUDECODE",
                "1",
                "claude-code (or a terminal in its IDE extension)",
            ),
            ("GEMINI_CLI", "1", "gemini-cli"),
            ("COPILOT_CLI", "1", "copilot-cli"),
            ("CODEX_THREAD_ID", "t-1", "codex"),
            ("CODEX_SANDBOX", "seccomp", "codex"),
            ("CODEX_SANDBOX_NETWORK_DISABLED", "1", "codex"),
            ("CODEX_CI", "1", "codex"),
            ("CURSOR_AGENT", "1", "cursor"),
            ("OR_APP_NAME", "Aider", "aider"),
            (RUN_MARKER, "1", "guard run session 1"),
        ];
        for (name, value, agent) in cases {
            assert!(MARKERS.contains(&name), "{name} missing");
            let env = [(OsString::from(name), OsString::from(value))];
            assert_eq!(recognise(&env).as_deref(), Some(agent), "{name}");
        }
        assert_eq!(MARKERS.len(), cases.len());
        assert_eq!(recognise(&[]), None);
    }

    #[test]
    fn the_parent_is_read_past_a_name_with_spaces_and_parentheses() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("stat"), "42 (a) b (c) S 17 42 42 0").unwrap();
        assert_eq!(parent_of(dir.path().to_str().unwrap()), Some(17));
    }

    #[test]
    fn environ_splits_into_pairs() {
        let env = parse_environ(b"A=1\0CLAUDECODE=1\0junk\0B=x=y\0");
        assert_eq!(
            recognise(&env).as_deref(),
            Some("claude-code (or a terminal in its IDE extension)")
        );
        assert!(env.iter().any(|(k, v)| k == "B" && v == "x=y"));
    }
}
