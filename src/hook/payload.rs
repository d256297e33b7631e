//! Reading an agent's hook input: the shell command, where it runs, who is really calling and
//! whether that caller can ask its human. Field names are each agent's own (docs/agents.md
//! cites the source of each); anything else is an error, and an error is a deny.

use super::{Agent, AskForm};
use serde_json::{Map, Value};
use std::path::PathBuf;

/// A shell command an agent is about to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The agent that sent the payload (not always the one the hook was installed for:
    /// Copilot CLI and Cursor also run the hooks in `.claude/settings.json`).
    pub caller: Agent,
    pub command: String,
    /// The directory the command runs in, when the payload says.
    pub cwd: Option<PathBuf>,
    /// How the caller can be asked.
    pub ask: AskForm,
    /// The tool's input, given back whole with the command rewritten (`Verdict::Ask`), where
    /// the caller lets a hook rewrite it together with an ask (Claude Code, Gemini CLI).
    pub tool_input: Option<Map<String, Value>>,
}

/// The request in `input`, as `installed_for`'s hook received it; `None` when the call is not a
/// shell command (the hook was matched to another tool: no objection).
pub fn parse(installed_for: Agent, input: &[u8]) -> Result<Option<Request>, String> {
    // Cursor has been seen to start its payload with a byte-order mark.
    let input = input.strip_prefix(b"\xef\xbb\xbf").unwrap_or(input);
    let value: Value =
        serde_json::from_slice(input).map_err(|e| format!("the input is not JSON ({e})"))?;
    // Two values for one key: which one the agent meant is anyone's guess.
    unique_keys(input)?;
    let Value::Object(obj) = value else {
        return Err("the input is not a JSON object".into());
    };
    match installed_for {
        Agent::Claude => claude_format(&obj),
        Agent::Codex => codex(&obj),
        Agent::Gemini => gemini(&obj),
        Agent::Copilot => copilot(&obj),
        Agent::Cursor => cursor(&obj),
    }
}

/// An error if any object in the JSON `input` has a key twice (serde_json keeps the last).
fn unique_keys(input: &[u8]) -> Result<(), String> {
    use serde::de::{DeserializeSeed, Deserializer, Error, MapAccess, SeqAccess, Visitor};
    struct Unique;
    impl<'de> DeserializeSeed<'de> for Unique {
        type Value = ();
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
            d.deserialize_any(Unique)
        }
    }
    impl<'de> Visitor<'de> for Unique {
        type Value = ();
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
            while seq.next_element_seed(Unique)?.is_some() {}
            Ok(())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = std::collections::HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) {
                    return Err(A::Error::custom(format!("the key `{key}` appears twice")));
                }
                map.next_value_seed(Unique)?;
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_slice(input);
    Unique.deserialize(&mut de).map_err(|e| format!("{e}"))
}

fn text<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{key}` is not a string")),
    }
}

fn required<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    text(obj, key)?.ok_or_else(|| format!("`{key}` is missing"))
}

fn event(obj: &Map<String, Value>, want: &[&str]) -> Result<(), String> {
    let got = required(obj, "hook_event_name")?;
    if want.contains(&got) {
        Ok(())
    } else {
        Err(format!(
            "this hook is for {} but was called for `{got}`; install it with `guard hook install`",
            want.join(" or ")
        ))
    }
}

/// `tool_input.command`, a string.
fn tool_command(obj: &Map<String, Value>) -> Result<(String, Map<String, Value>), String> {
    let Some(Value::Object(input)) = obj.get("tool_input") else {
        return Err("`tool_input` is missing or not an object".into());
    };
    let command = required(input, "command")?.to_string();
    Ok((command, input.clone()))
}

/// `cwd`; an empty one (Cursor sends `""` to Claude-format hooks) says nothing.
fn cwd(obj: &Map<String, Value>) -> Result<Option<PathBuf>, String> {
    Ok(text(obj, "cwd")?
        .filter(|c| !c.is_empty())
        .map(PathBuf::from))
}

/// Claude Code's PreToolUse payload, which Copilot CLI and Cursor also send to the hooks they
/// find in `.claude/settings.json`: the caller is told apart by what only it sends (not by the
/// environment, which an agent's children inherit from whatever started it).
fn claude_format(obj: &Map<String, Value>) -> Result<Option<Request>, String> {
    let caller = if obj.contains_key("cursor_version") {
        // Cursor maps the hook to its own preToolUse, and Bash to its Shell tool.
        Agent::Cursor
    } else if obj.contains_key("tool_use_id") {
        Agent::Claude
    } else {
        // Copilot CLI's PascalCase form carries no tool_use_id, transcript or mode.
        Agent::Copilot
    };
    if caller == Agent::Cursor {
        event(obj, &["PreToolUse", "preToolUse"])?;
    } else {
        event(obj, &["PreToolUse"])?;
    }
    let tool = required(obj, "tool_name")?;
    if tool != "Bash" && !(caller == Agent::Cursor && tool == "Shell") {
        return Ok(None);
    }
    let (command, input) = tool_command(obj)?;
    // Modes in which Claude Code shows no prompt: an ask there is not a human's look.
    let prompts = !matches!(
        text(obj, "permission_mode")?,
        Some("bypassPermissions" | "dontAsk")
    );
    let ask = match caller {
        Agent::Claude if prompts => AskForm::Claude,
        // How another agent reads a Claude-format ask is not documented: only the exit-2
        // deny is common ground.
        _ => AskForm::None,
    };
    Ok(Some(Request {
        caller,
        command,
        cwd: cwd(obj)?,
        ask,
        tool_input: (caller == Agent::Claude).then_some(input),
    }))
}

fn codex(obj: &Map<String, Value>) -> Result<Option<Request>, String> {
    event(obj, &["PreToolUse"])?;
    if required(obj, "tool_name")? != "Bash" {
        return Ok(None);
    }
    let (command, _) = tool_command(obj)?;
    Ok(Some(Request {
        caller: Agent::Codex,
        command,
        cwd: cwd(obj)?,
        ask: AskForm::None,
        tool_input: None,
    }))
}

fn gemini(obj: &Map<String, Value>) -> Result<Option<Request>, String> {
    event(obj, &["BeforeTool"])?;
    if required(obj, "tool_name")? != "run_shell_command" {
        return Ok(None);
    }
    let (command, input) = tool_command(obj)?;
    // `dir_path`: where the command runs, absolute or relative to the session's cwd.
    let base = cwd(obj)?;
    let dir = match text(&input, "dir_path")? {
        Some(dir) => Some(base.unwrap_or_default().join(dir)),
        None => base,
    };
    Ok(Some(Request {
        caller: Agent::Gemini,
        command,
        cwd: dir,
        ask: AskForm::Gemini,
        tool_input: Some(input),
    }))
}

/// Copilot CLI: camelCase `preToolUse` (`toolArgs` a JSON string, or an object), or the
/// PascalCase `PreToolUse` form with Claude's field names.
fn copilot(obj: &Map<String, Value>) -> Result<Option<Request>, String> {
    if obj.contains_key("hook_event_name") {
        event(obj, &["PreToolUse"])?;
        if required(obj, "tool_name")? != "Bash" {
            return Ok(None);
        }
        let (command, _) = tool_command(obj)?;
        return Ok(Some(Request {
            caller: Agent::Copilot,
            command,
            cwd: cwd(obj)?,
            ask: AskForm::Copilot,
            tool_input: None,
        }));
    }
    if required(obj, "toolName")? != "bash" {
        return Ok(None);
    }
    let args = match obj.get("toolArgs") {
        Some(Value::String(s)) => {
            serde_json::from_str::<Value>(s).map_err(|e| format!("`toolArgs` is not JSON ({e})"))?
        }
        Some(v @ Value::Object(_)) => v.clone(),
        _ => return Err("`toolArgs` is missing or not an object".into()),
    };
    let Value::Object(args) = args else {
        return Err("`toolArgs` is not a JSON object".into());
    };
    Ok(Some(Request {
        caller: Agent::Copilot,
        command: required(&args, "command")?.to_string(),
        cwd: cwd(obj)?,
        ask: AskForm::Copilot,
        tool_input: None,
    }))
}

/// Cursor: `beforeShellExecution` (which can ask), or `preToolUse` for its Shell tool (which
/// cannot).
fn cursor(obj: &Map<String, Value>) -> Result<Option<Request>, String> {
    event(obj, &["beforeShellExecution", "preToolUse"])?;
    let (command, ask) = if required(obj, "hook_event_name")? == "beforeShellExecution" {
        (required(obj, "command")?.to_string(), AskForm::Cursor)
    } else {
        if required(obj, "tool_name")? != "Shell" {
            return Ok(None);
        }
        (tool_command(obj)?.0, AskForm::None)
    };
    Ok(Some(Request {
        caller: Agent::Cursor,
        command,
        cwd: cwd(obj)?,
        ask,
        tool_input: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(agent: Agent, json: &str) -> Result<Option<Request>, String> {
        parse(agent, json.as_bytes())
    }

    #[test]
    fn each_agent_s_command_and_cwd_are_found() {
        let r = req(Agent::Claude, r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t","cwd":"/p","tool_input":{"command":"ls","timeout":5}}"#).unwrap().unwrap();
        assert_eq!((r.caller, r.ask), (Agent::Claude, AskForm::Claude));
        assert_eq!(r.command, "ls");
        assert_eq!(r.tool_input.unwrap()["timeout"], 5);
        let r = req(Agent::Gemini, r#"{"hook_event_name":"BeforeTool","tool_name":"run_shell_command","cwd":"/p","tool_input":{"command":"ls","dir_path":"sub"}}"#).unwrap().unwrap();
        assert_eq!(r.cwd.unwrap(), PathBuf::from("/p/sub"));
        let r = req(
            Agent::Copilot,
            r#"{"toolName":"bash","cwd":"/p","toolArgs":"{\"command\":\"rm -rf dist\"}"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.command, "rm -rf dist");
        let r = req(
            Agent::Cursor,
            r#"{"hook_event_name":"beforeShellExecution","command":"ls","cwd":"/p"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(r.ask, AskForm::Cursor);
    }

    #[test]
    fn other_tools_are_no_business_of_the_hook() {
        assert_eq!(
            req(
                Agent::Codex,
                r#"{"hook_event_name":"PreToolUse","tool_name":"apply_patch","tool_input":{}}"#
            ),
            Ok(None)
        );
    }

    #[test]
    fn a_claude_format_payload_from_another_agent_is_answered_only_by_deny() {
        // Copilot CLI's PascalCase form: no tool_use_id.
        let r = req(Agent::Claude, r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","timestamp":"2026-01-01T00:00:00Z","tool_input":{"command":"ls"}}"#).unwrap().unwrap();
        assert_eq!((r.caller, r.ask), (Agent::Copilot, AskForm::None));
        let r = req(Agent::Claude, "\u{feff}{\"hook_event_name\":\"preToolUse\",\"tool_name\":\"Shell\",\"cwd\":\"\",\"cursor_version\":\"2.0\",\"tool_input\":{\"command\":\"ls\"}}").unwrap().unwrap();
        assert_eq!(r.cwd, None);
        assert_eq!((r.caller, r.ask), (Agent::Cursor, AskForm::None));
        let r = req(Agent::Claude, r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t","permission_mode":"bypassPermissions","tool_input":{"command":"ls"}}"#).unwrap().unwrap();
        assert_eq!(r.ask, AskForm::None);
    }

    #[test]
    fn wrong_shapes_are_errors() {
        assert!(req(Agent::Claude, "not json").is_err());
        assert!(req(Agent::Claude, "[1]").is_err());
        assert!(req(Agent::Claude, r#"{"hook_event_name":"BeforeTool"}"#).is_err());
        assert!(
            req(
                Agent::Gemini,
                r#"{"hook_event_name":"BeforeTool","tool_name":"run_shell_command","tool_input":{"command":7}}"#
            )
            .is_err()
        );
        assert!(req(Agent::Copilot, r#"{"toolName":"bash","toolArgs":"{"}"#).is_err());
        let twice = r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_use_id":"t","tool_input":{"command":"ls","command":"railway down"}}"#;
        assert!(req(Agent::Claude, twice).unwrap_err().contains("twice"));
    }
}
