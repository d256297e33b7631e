//! The agents' pre-command hooks. `guard hook AGENT` reads the JSON an agent sends before it
//! runs a shell command, judges the command with the shim's own rules (`shell::judge`), and
//! answers in that agent's protocol (docs/agents.md). This module is the pure part: reading
//! a payload (`payload`) and writing an answer (`answer`); `commands/hook.rs` is the edge.
//!
//! Three answers, and never "allow", which would skip the agent's own permission prompt:
//! - **silent** (exit 0, nothing on stdout): no objection; the agent's own flow goes on
//!   (Cursor alone has no such answer: an empty one blocks, so there it is `allow`);
//! - **ask**, in the agent's native form, where it has one and will really show it;
//! - **deny**: exit 2 with the reason on stderr and nothing on stdout, which every one of
//!   these agents treats as a block.
//!
//! Anything guard cannot do right (unreadable input, a payload of the wrong shape, a rule
//! file that does not load, a panic) is a deny: agents run the command when a hook fails.

pub mod install;
mod payload;

pub use payload::{Request, parse};

use serde_json::{Value, json};

/// The agents guard has a hook adapter for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Agent {
    /// Claude Code: PreToolUse, tool Bash.
    Claude,
    /// OpenAI Codex CLI: PreToolUse, tool Bash (no "ask": a confirm is a deny there).
    Codex,
    /// Gemini CLI: BeforeTool, tool run_shell_command.
    Gemini,
    /// GitHub Copilot CLI: preToolUse, tool bash.
    Copilot,
    /// Cursor: beforeShellExecution.
    Cursor,
}

impl Agent {
    /// Every agent, in the order `--help` lists them.
    pub const ALL: [Agent; 5] = [
        Agent::Claude,
        Agent::Codex,
        Agent::Gemini,
        Agent::Copilot,
        Agent::Cursor,
    ];
}

impl Agent {
    pub fn name(self) -> &'static str {
        match self {
            Agent::Claude => "claude",
            Agent::Codex => "codex",
            Agent::Gemini => "gemini",
            Agent::Copilot => "copilot",
            Agent::Cursor => "cursor",
        }
    }
}

/// How the caller can be asked, read off the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskForm {
    /// Claude Code's `hookSpecificOutput.permissionDecision: "ask"`.
    Claude,
    /// Copilot CLI's top-level `permissionDecision: "ask"`.
    Copilot,
    /// Gemini CLI's `decision: "ask"`.
    Gemini,
    /// Cursor's `permission: "ask"` (beforeShellExecution only).
    Cursor,
    /// No ask this caller is known to honour and show (Codex; a prompt-less permission mode;
    /// a Claude-format hook run by another agent): a confirm becomes a deny.
    None,
}

/// What guard says about one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No objection: the agent's own permission flow decides.
    Silent,
    /// A human must say yes in the agent's dialog. `rewrite`: the command the agent should
    /// run instead once approved (it carries a ticket, `hook::ticket`), where the agent lets a
    /// hook rewrite its input together with an ask.
    Ask {
        reason: String,
        rewrite: Option<String>,
    },
    /// Blocked; `reason` is written for the model.
    Deny(String),
}

/// The answer as the process gives it: stdout (JSON or nothing) and, for a deny, the reason
/// for stderr with exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub stdout: Option<String>,
    pub deny: Option<String>,
}

/// Exit status of a deny: a block in every agent guard serves.
pub const DENY_STATUS: u8 = 2;

/// Agents cap the strings they show; a reason is cut well below the smallest cap (Claude
/// Code's 10 000 characters), on a character boundary.
const MAX_REASON: usize = 4000;

fn capped(reason: &str) -> String {
    if reason.len() <= MAX_REASON {
        return reason.to_string();
    }
    let mut end = MAX_REASON;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… (cut; `guard explain --shell` shows it all)",
        &reason[..end]
    )
}

/// The answer to `request` for `verdict`, in the caller's protocol.
pub fn answer(request: &Request, verdict: Verdict) -> Answer {
    let (reason, rewrite) = match verdict {
        // Cursor takes an empty answer for a broken hook and blocks: it has no "no
        // decision", so there (only) no objection is its `allow` (docs/agents.md).
        Verdict::Silent => {
            return Answer {
                stdout: (request.caller == Agent::Cursor)
                    .then(|| json!({"permission": "allow"}).to_string()),
                deny: None,
            };
        }
        Verdict::Deny(reason) => {
            return Answer {
                stdout: None,
                deny: Some(capped(&reason)),
            };
        }
        Verdict::Ask { reason, rewrite } => (capped(&reason), rewrite),
    };
    let out: Value = match request.ask {
        AskForm::Claude => {
            let mut specific = json!({
                "hookEventName": "PreToolUse",
                "permissionDecision": "ask",
                "permissionDecisionReason": reason,
            });
            if let (Some(command), Some(input)) = (rewrite, &request.tool_input) {
                let mut input = input.clone();
                input.insert("command".into(), Value::String(command));
                specific["updatedInput"] = Value::Object(input);
            }
            json!({ "hookSpecificOutput": specific })
        }
        AskForm::Copilot => json!({
            "permissionDecision": "ask",
            "permissionDecisionReason": reason,
        }),
        AskForm::Gemini => {
            let mut out = json!({ "decision": "ask", "systemMessage": reason });
            if let (Some(command), Some(input)) = (rewrite, &request.tool_input) {
                let mut input = input.clone();
                input.insert("command".into(), Value::String(command));
                out["hookSpecificOutput"] = json!({ "tool_input": input });
            }
            out
        }
        AskForm::Cursor => json!({
            "permission": "ask",
            "user_message": reason,
            "agent_message": "guard asked the user to approve this command in Cursor.",
        }),
        AskForm::None => {
            return Answer {
                stdout: None,
                deny: Some(reason),
            };
        }
    };
    Answer {
        stdout: Some(out.to_string()),
        deny: None,
    }
}
