//! Human approval. A `confirm` decision asks the human at the terminal for a typed answer; a
//! refused command becomes a pending request that only `guard allow`, run by a human, turns
//! into a grant for that exact command. Nothing here trusts the environment.

pub mod grants;
pub mod passphrase;
pub mod prompt;
pub mod seal;
pub mod ticket;

use crate::config::Config;
use crate::display::escape;
use crate::paths::Dirs;
use crate::rules::Action;
use crate::rules::decision::Decision;
use crate::rules::model::Challenge;
use prompt::{Answer, Tty};
use std::fmt::Write as _;

/// How a command that needed a human came to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    Tty,
    Grant(String),
    /// A yes in the agent's own dialog, carried by a hook's ticket.
    AgentDialog,
}

/// What the human must type for a confirm decision: the hardest challenge any matched confirm
/// rule asks for. A `target` challenge whose target cannot be found becomes a `code`.
pub fn challenge_for(decision: &Decision) -> (Challenge, Option<String>) {
    let confirm_rules = decision
        .rules
        .iter()
        .filter(|r| r.action == Action::Confirm);
    let hardest = confirm_rules
        .clone()
        .map(|r| r.challenge)
        .max()
        .unwrap_or_default();
    match hardest {
        Challenge::Target => match confirm_rules
            .filter(|r| r.challenge == Challenge::Target)
            .find_map(|r| r.target.clone())
            // A target no one can type as shown (a control character) asks for a code.
            .filter(|t| !t.trim().is_empty() && !t.chars().any(crate::display::hidden))
        {
            Some(t) => (Challenge::Target, Some(t)),
            None => (Challenge::Code, Some(code())),
        },
        Challenge::Code => (Challenge::Code, Some(code())),
        Challenge::Yes => (Challenge::Yes, None),
    }
}

/// Four characters that are easy to read and type.
fn code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let hex = crate::state::random_hex(4);
    hex.as_bytes()
        .chunks(2)
        .map(|pair| {
            let byte =
                u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("00"), 16).unwrap_or(0);
            ALPHABET[usize::from(byte) % ALPHABET.len()] as char
        })
        .collect()
}

/// Ask the human at `tty` to confirm `decision`. `Ok(())` means approved; `Err` says why not.
pub fn confirm_on_tty(
    tty: &mut Tty,
    decision: &Decision,
    command: &str,
    cwd: &str,
    dirs: &Dirs,
    config: &Config,
) -> Result<(), String> {
    // Inside an agent's process tree the terminal may be the agent's own (`script -c`, a pty
    // library): there only the passphrase, which the agent does not know, approves.
    let agent = crate::agent::session();
    let passphrase = if config.require_passphrase
        || config.confirm_with_passphrase
        || agent.is_some()
    {
        match passphrase::source(dirs, config) {
            passphrase::Source::Hash(h, _) => Some(h),
            passphrase::Source::Broken(why) => return Err(why),
            passphrase::Source::None => {
                return Err(match &agent {
                        Some(agent) => crate::agent::no_passphrase_refusal(agent),
                        None => "config.yaml asks for the passphrase on confirmation, but none is set; run `guard passphrase set`".into(),
                    });
            }
        }
    } else {
        None
    };
    let (challenge, expected) = challenge_for(decision);
    let mut text = String::new();
    let _ = writeln!(
        text,
        "\r\nguard: {} wants to run:\r\n    {command}\r\n  in {cwd}\r",
        escape(&decision.tool)
    );
    for r in &decision.rules {
        let _ = writeln!(
            text,
            "  {:<7} {}: {}\r",
            r.action.as_str(),
            escape(&r.id),
            escape(&r.reason)
        );
    }
    let secs = config.confirm_timeout.as_secs();
    let ask = match (&challenge, &expected) {
        (Challenge::Target, Some(t)) => format!("Type {t} to run it"),
        (Challenge::Code, Some(c)) => format!("Type the code {c} to run it"),
        _ => "Type yes to run it".to_string(),
    };
    let _ = write!(text, "{ask} ({secs} s; anything else refuses): ");
    let want = expected.unwrap_or_else(|| "yes".into());
    match tty.ask(&text, true, config.confirm_timeout) {
        Ok(Answer::Line(line)) if line.trim() == want => {}
        Ok(Answer::Line(_)) => return Err("the answer did not match".into()),
        Ok(Answer::Interrupted) => return Err("interrupted (Ctrl-C)".into()),
        Ok(Answer::EndOfInput) => return Err("no answer (Ctrl-D)".into()),
        Ok(Answer::TimedOut) => return Err(format!("no answer within {secs} s")),
        Ok(Answer::Signalled(name)) => return Err(format!("interrupted by {name}")),
        Err(e) => return Err(format!("cannot use the terminal: {e}")),
    }
    if let Some(hash) = passphrase {
        ask_passphrase(tty, &hash, config)?;
    }
    Ok(())
}

/// Ask for the passphrase; the passphrase typed, once it checks against `hash`.
pub fn ask_passphrase(tty: &mut Tty, hash: &str, config: &Config) -> Result<String, String> {
    match tty.ask("Passphrase: ", false, config.confirm_timeout) {
        Ok(Answer::Line(input)) if passphrase::verify(hash, &input) => Ok(input),
        Ok(Answer::Line(_)) => Err("wrong passphrase".into()),
        Ok(Answer::TimedOut) => Err("no passphrase within the timeout".into()),
        Ok(_) => Err("passphrase entry interrupted".into()),
        Err(e) => Err(format!("cannot use the terminal: {e}")),
    }
}

/// A human's say-so for something that loosens (a `disable`, removing a shim): where a
/// passphrase is set, the human at the terminal types it, and the key it unlocks is returned to
/// seal the change; where none is set, nothing is asked (the change is shown as unsealed).
pub fn passphrase_for_loosening(
    dirs: &Dirs,
    config: &Config,
) -> Result<Option<seal::PrivateKey>, String> {
    let hash = match passphrase::source(dirs, config) {
        passphrase::Source::None => return Ok(None),
        passphrase::Source::Broken(why) => return Err(why),
        passphrase::Source::Hash(hash, _) => hash,
    };
    let key = passphrase::public_key(dirs, config)?;
    let mut tty = Tty::open()
        .map_err(|e| format!("this needs the passphrase, typed by a human at a terminal ({e})"))?;
    ask_and_unlock(&mut tty, &hash, key.as_ref(), config)
}

/// Ask for the passphrase (checked against `hash`) and unlock the signing key `key` keeps
/// beside it; `None` where no key is kept.
pub fn ask_and_unlock(
    tty: &mut Tty,
    hash: &str,
    key: Option<&seal::PublicKey>,
    config: &Config,
) -> Result<Option<seal::PrivateKey>, String> {
    let typed = ask_passphrase(tty, hash, config)?;
    match key {
        Some(key) => seal::PrivateKey::unlock(&typed, key).map(Some).ok_or_else(|| {
            "the passphrase does not unlock the signing key stored with it (was the key replaced?)"
                .into()
        }),
        None => Ok(None),
    }
}
