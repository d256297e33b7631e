//! Where each agent reads its hooks, and guard's entry in each: merged into the settings a user
//! already has (never replacing other keys or other hooks), or taken out again. Pure: the edge
//! (`commands/hook.rs`) reads and writes the files. Field names and locations are each agent's
//! own, with sources in docs/agents.md.

use super::Agent;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// Seconds an agent waits for the hook. Every agent lets the command run when a hook times
/// out, so this is not a gate; it only bounds a hung hook. guard answers in milliseconds.
pub const TIMEOUT_SECS: u64 = 10;

/// The settings file guard's hook goes into: the user's (under `home`), or with `system` the
/// machine's managed file (under `etc`, normally `/etc`), which users cannot override.
pub fn settings_file(agent: Agent, system: bool, home: &Path, etc: &Path) -> PathBuf {
    match (agent, system) {
        (Agent::Claude, false) => home.join(".claude/settings.json"),
        (Agent::Claude, true) => etc.join("claude-code/managed-settings.json"),
        (Agent::Codex, false) => home.join(".codex/hooks.json"),
        (Agent::Codex, true) => etc.join("codex/requirements.toml"),
        (Agent::Gemini, false) => home.join(".gemini/settings.json"),
        (Agent::Gemini, true) => etc.join("gemini-cli/settings.json"),
        (Agent::Copilot, false) => home.join(".copilot/hooks/guard.json"),
        (Agent::Copilot, true) => etc.join("github-copilot/policy.d/guard.json"),
        (Agent::Cursor, false) => home.join(".cursor/hooks.json"),
        (Agent::Cursor, true) => etc.join("cursor/hooks.json"),
    }
}

/// The shell command an agent runs: guard's absolute path (an agent's PATH may lack it, and a
/// missing hook command fails open in most agents), quoted for the shell.
pub fn command(guard: &Path, agent: Agent) -> String {
    let path = guard.to_string_lossy();
    let quoted = shlex::try_quote(&path).map_or_else(|_| path.to_string(), |q| q.into_owned());
    format!("{quoted} hook {}", agent.name())
}

/// What the user must still do after installing, if anything.
pub fn still_to_do(agent: Agent, system: bool) -> &'static str {
    match (agent, system) {
        (Agent::Claude, _) => {
            "`onFailure: block` needs Claude Code 2.1.295 or later; older versions run the \
             command when the hook fails. Check with `/hooks` in Claude Code."
        }
        (Agent::Codex, false) => {
            "Codex skips a new user-level hook until you trust it: open Codex and approve it \
             in `/hooks`. (`--system` installs it into requirements.toml, trusted by policy.)"
        }
        (Agent::Codex, true) => "Restart Codex sessions to load requirements.toml.",
        (Agent::Gemini, _) => {
            "Gemini CLI loads hooks only in trusted folders; a user or project setting can \
             disable a hook by name (`hooksConfig.disabled`)."
        }
        (Agent::Copilot, _) => "Nothing more: Copilot CLI loads the file at its next start.",
        (Agent::Cursor, _) => "Restart Cursor (or the `cursor-agent` CLI) to load hooks.json.",
    }
}

/// The hook handler guard adds.
fn handler(agent: Agent, guard: &Path) -> Value {
    let command = command(guard, agent);
    match agent {
        Agent::Claude => json!({
            "type": "command", "command": command, "timeout": TIMEOUT_SECS,
            // A hook that cannot start or crashes blocks the call instead of letting it run.
            "onFailure": "block",
        }),
        Agent::Codex => json!({
            "type": "command", "command": command, "timeout": TIMEOUT_SECS,
            "statusMessage": "guard: checking the command",
        }),
        Agent::Gemini => json!({
            "name": "guard", "type": "command", "command": command,
            "timeout": TIMEOUT_SECS * 1000,
        }),
        // exec + args: no shell between Copilot CLI and guard.
        Agent::Copilot => json!({
            "type": "command", "matcher": "bash", "exec": guard.to_string_lossy(),
            "args": ["hook", "copilot"], "timeoutSec": TIMEOUT_SECS,
        }),
        Agent::Cursor => json!({
            "command": command, "timeout": TIMEOUT_SECS, "failClosed": true,
        }),
    }
}

/// The event guard hooks, and the matcher of its group (agents with matcher groups).
fn event(agent: Agent) -> (&'static str, Option<&'static str>) {
    match agent {
        Agent::Claude => ("PreToolUse", Some("Bash")),
        Agent::Codex => ("PreToolUse", Some("^Bash$")),
        Agent::Gemini => ("BeforeTool", Some("^run_shell_command$")),
        Agent::Copilot => ("preToolUse", None),
        Agent::Cursor => ("beforeShellExecution", None),
    }
}

/// The event guard hooks, and the entry added to its list: a matcher group holding guard's
/// handler, or the handler itself where the agent has no groups.
pub fn entry(agent: Agent, guard: &Path) -> (&'static str, Value) {
    let (event, matcher) = event(agent);
    let handler = handler(agent, guard);
    let entry = match matcher {
        Some(m) => json!({ "matcher": m, "hooks": [handler] }),
        None => handler,
    };
    (event, entry)
}

/// Is this one of guard's handlers for `agent` (any guard path)?
fn is_guard(handler: &Value, agent: Agent) -> bool {
    let suffix = format!(" hook {}", agent.name());
    let by_command = handler
        .get("command")
        .and_then(Value::as_str)
        .is_some_and(|c| c.ends_with(&suffix) && c.contains("guard"));
    let by_exec = handler.get("args") == Some(&json!(["hook", agent.name()]))
        && handler
            .get("exec")
            .and_then(Value::as_str)
            .is_some_and(|e| e.contains("guard"));
    by_command || by_exec
}

/// `settings` with guard's hook for `agent` in it (replacing an older guard entry), and
/// `system`'s extra pins. An error when the file is not the object the agent expects.
pub fn merged(settings: Value, agent: Agent, guard: &Path, system: bool) -> Result<Value, String> {
    let (mut root, _) = without(settings, agent)?;
    let (event, entry) = entry(agent, guard);
    if matches!(agent, Agent::Copilot | Agent::Cursor) {
        root.entry("version").or_insert(json!(1));
    }
    let hooks = object_at(&mut root, "hooks")?;
    let list = match hooks.entry(event).or_insert(json!([])) {
        Value::Array(list) => list,
        _ => return Err(format!("`hooks.{event}` is not a list")),
    };
    list.push(entry);
    // Gemini's master switch, pinned where users cannot override it.
    if agent == Agent::Gemini && system {
        object_at(&mut root, "hooksConfig")?.insert("enabled".into(), json!(true));
    }
    Ok(Value::Object(root))
}

/// `settings` without guard's hook for `agent`, and how many entries were taken out.
pub fn without(settings: Value, agent: Agent) -> Result<(Map<String, Value>, usize), String> {
    let mut root = match settings {
        Value::Object(root) => root,
        Value::Null => Map::new(),
        _ => return Err("the file is not a JSON object".into()),
    };
    let (event, matcher) = event(agent);
    let Some(Value::Array(list)) = root.get_mut("hooks").and_then(|h| h.get_mut(event)) else {
        return Ok((root, 0));
    };
    let before = count(list, agent, matcher.is_some());
    if matcher.is_some() {
        for group in list.iter_mut() {
            if let Some(Value::Array(handlers)) = group.get_mut("hooks") {
                handlers.retain(|h| !is_guard(h, agent));
            }
        }
        // A group left with no handler was guard's own.
        list.retain(|g| g.get("hooks").is_none_or(|h| h != &json!([])));
    } else {
        list.retain(|h| !is_guard(h, agent));
    }
    // Leave no empty list or table that guard's entry brought.
    if list.is_empty()
        && let Some(Value::Object(hooks)) = root.get_mut("hooks")
    {
        hooks.remove(event);
        if hooks.is_empty() {
            root.remove("hooks");
        }
    }
    Ok((root, before))
}

fn count(list: &[Value], agent: Agent, grouped: bool) -> usize {
    if grouped {
        list.iter()
            .filter_map(|g| g.get("hooks").and_then(Value::as_array))
            .flatten()
            .filter(|h| is_guard(h, agent))
            .count()
    } else {
        list.iter().filter(|h| is_guard(h, agent)).count()
    }
}

fn object_at<'a>(
    root: &'a mut Map<String, Value>,
    key: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    match root.entry(key).or_insert(json!({})) {
        Value::Object(m) => Ok(m),
        _ => Err(format!("`{key}` is not an object")),
    }
}

/// guard's hook as a settings file holds it: the program the agent runs, and whether a
/// failure to run it blocks (`None`: the agent has no switch for that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installed {
    pub program: String,
    pub fails_closed: Option<bool>,
}

/// guard's hook for `agent` in a settings file's text, if it is there.
pub fn installed(agent: Agent, text: &str) -> Option<Installed> {
    if let Some(start) = text.find(BEGIN) {
        // Codex's requirements.toml: the block guard wrote.
        let command = text[start..]
            .lines()
            .find_map(|l| l.trim().strip_prefix("command = \""))?
            .trim_end_matches('"')
            .replace("\\\"", "\"")
            .replace("\\\\", "\\");
        return Some(Installed {
            program: first_word(&command)?,
            fails_closed: None,
        });
    }
    let settings: Value = serde_json::from_str(text).ok()?;
    let (event, matcher) = event(agent);
    let list = settings.get("hooks")?.get(event)?.as_array()?;
    let mut handlers: Vec<&Value> = Vec::new();
    for item in list {
        match (matcher, item.get("hooks").and_then(Value::as_array)) {
            (Some(_), Some(hs)) => handlers.extend(hs),
            _ => handlers.push(item),
        }
    }
    let h = handlers.into_iter().find(|h| is_guard(h, agent))?;
    let program = match h.get("exec").and_then(Value::as_str) {
        Some(exec) => exec.to_string(),
        None => first_word(h.get("command")?.as_str()?)?,
    };
    let fails_closed = match agent {
        Agent::Claude => Some(h.get("onFailure") == Some(&json!("block"))),
        Agent::Cursor => Some(h.get("failClosed") == Some(&json!(true))),
        // Codex fails open on any hook failure and has no switch; Gemini and Copilot block
        // on a hook that errors (guard denies its own failures in every agent).
        _ => None,
    };
    Some(Installed {
        program,
        fails_closed,
    })
}

fn first_word(command: &str) -> Option<String> {
    shlex::split(command)?.into_iter().next()
}

/// Codex's managed `requirements.toml`: guard's block, between marker lines so that
/// uninstall finds it. guard carries no TOML editor: it appends this block only to a file with
/// no `hooks` or `features` of its own, and otherwise prints it for the administrator to merge.
pub fn codex_requirements_block(guard: &Path) -> String {
    let command = command(guard, Agent::Codex)
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        "{BEGIN}\n[features]\nhooks = true\n\n[[hooks.PreToolUse]]\nmatcher = \"^Bash$\"\n\n\
         [[hooks.PreToolUse.hooks]]\ntype = \"command\"\ncommand = \"{command}\"\n\
         timeout = {TIMEOUT_SECS}\nstatusMessage = \"guard: checking the command\"\n{END}\n"
    )
}

pub const BEGIN: &str = "# >>> guard hook (guard hook install codex --system; remove with guard hook uninstall codex --system)";
pub const END: &str = "# <<< guard hook";

/// Whether guard's block can be appended to this TOML text without clashing with a table or
/// key it already defines.
pub fn codex_can_append(text: &str) -> bool {
    !text.lines().map(str::trim_start).any(|l| {
        let key = l.trim_start_matches('[').trim_start();
        key.starts_with("hooks") || key.starts_with("features")
    })
}

/// The text without guard's block, and whether there was one.
pub fn codex_without_block(text: &str) -> (String, bool) {
    let (Some(start), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        return (text.to_string(), false);
    };
    let end = text[end..].find('\n').map_or(text.len(), |i| end + i + 1);
    (format!("{}{}", &text[..start], &text[end..]), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUARD: &str = "/usr/local/bin/guard";

    #[test]
    fn merging_keeps_every_other_setting_and_hook_in_order() {
        let user = json!({
            "model": "opus",
            "hooks": {"PreToolUse": [{"matcher": "Edit", "hooks": [{"type": "command", "command": "lint"}]}],
                      "Stop": []},
            "env": {"A": "1"}
        });
        let out = merged(user.clone(), Agent::Claude, Path::new(GUARD), false).unwrap();
        let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["model", "hooks", "env"]);
        let pre = out["hooks"]["PreToolUse"].as_array().unwrap();
        assert_eq!(pre[0], user["hooks"]["PreToolUse"][0]);
        assert_eq!(pre[1]["matcher"], "Bash");
        assert_eq!(
            pre[1]["hooks"][0]["command"],
            "/usr/local/bin/guard hook claude"
        );
        assert_eq!(pre[1]["hooks"][0]["onFailure"], "block");
        // Installing again replaces guard's entry (a new path), never duplicates it.
        let again = merged(out.clone(), Agent::Claude, Path::new("/opt/guard"), false).unwrap();
        assert_eq!(again["hooks"]["PreToolUse"].as_array().unwrap().len(), 2);
        assert_eq!(
            again["hooks"]["PreToolUse"][1]["hooks"][0]["command"],
            "/opt/guard hook claude"
        );
        // Uninstalling gives back exactly what the user had.
        let (back, removed) = without(again, Agent::Claude).unwrap();
        assert_eq!((Value::Object(back), removed), (user, 1));
    }

    #[test]
    fn flat_hook_lists_and_pins() {
        let out = merged(Value::Null, Agent::Cursor, Path::new(GUARD), false).unwrap();
        assert_eq!(out["version"], 1);
        assert_eq!(out["hooks"]["beforeShellExecution"][0]["failClosed"], true);
        let out = merged(Value::Null, Agent::Gemini, Path::new(GUARD), true).unwrap();
        assert_eq!(out["hooksConfig"]["enabled"], true);
        assert_eq!(out["hooks"]["BeforeTool"][0]["hooks"][0]["timeout"], 10000);
        let out = merged(Value::Null, Agent::Copilot, Path::new(GUARD), false).unwrap();
        assert_eq!(
            out["hooks"]["preToolUse"][0]["args"],
            json!(["hook", "copilot"])
        );
        assert_eq!(without(out, Agent::Copilot).unwrap().1, 1);
        assert!(merged(json!([1]), Agent::Claude, Path::new(GUARD), false).is_err());
        assert!(merged(json!({"hooks": []}), Agent::Claude, Path::new(GUARD), false).is_err());
    }

    #[test]
    fn an_installed_hook_is_found_with_its_failure_switch() {
        let guard = Path::new("/opt/my tools/guard");
        for agent in Agent::ALL {
            let text = merged(Value::Null, agent, guard, false)
                .unwrap()
                .to_string();
            let found = installed(agent, &text).unwrap();
            assert_eq!(found.program, "/opt/my tools/guard", "{agent:?}");
        }
        let claude = merged(Value::Null, Agent::Claude, guard, false)
            .unwrap()
            .to_string();
        assert_eq!(
            installed(Agent::Claude, &claude).unwrap().fails_closed,
            Some(true)
        );
        let lax = claude.replace("\"block\"", "\"continue\"");
        assert_eq!(
            installed(Agent::Claude, &lax).unwrap().fails_closed,
            Some(false)
        );
        let toml = codex_requirements_block(guard);
        assert_eq!(
            installed(Agent::Codex, &toml).unwrap().program,
            "/opt/my tools/guard"
        );
        assert_eq!(installed(Agent::Gemini, "{}"), None);
    }

    #[test]
    fn a_path_with_spaces_is_quoted_for_the_agent_s_shell() {
        assert_eq!(
            command(Path::new("/opt/my tools/guard"), Agent::Gemini),
            "'/opt/my tools/guard' hook gemini"
        );
    }

    #[test]
    fn codex_s_block_goes_in_only_where_it_cannot_clash_and_comes_out_whole() {
        let block = codex_requirements_block(Path::new(GUARD));
        assert!(codex_can_append(
            "allowed_approval_policies = [\"on-request\"]\n"
        ));
        assert!(!codex_can_append("[features]\nweb_search = true\n"));
        assert!(!codex_can_append("[[hooks.PreToolUse]]\n"));
        let text = format!("a = 1\n{block}b = 2\n");
        assert_eq!(
            codex_without_block(&text),
            ("a = 1\nb = 2\n".to_string(), true)
        );
        assert!(block.contains("command = \"/usr/local/bin/guard hook codex\""));
    }
}
