//! `guard rules`: every rule in effect, with the file it comes from.

use crate::paths::Dirs;
use crate::rules::load::{Scope, load};
use serde_json::json;

pub fn run(dirs: &Dirs, tool: Option<&str>, json: bool) -> anyhow::Result<()> {
    let scope = tool.map_or(Scope::All, Scope::Tool);
    let set = load(dirs, scope).map_err(|e| anyhow::anyhow!("{e}"))?;
    for pack in &set.packs {
        for rule in &pack.rules {
            if json {
                let line = json!({
                    "id": rule.id,
                    "action": rule.action,
                    "tools": pack.tools,
                    "reason": rule.reason,
                    "source": rule.source.to_string(),
                });
                println!("{line}");
            } else {
                println!(
                    "{:<7} {:<40} {} ({})",
                    rule.action.as_str(),
                    rule.id,
                    rule.reason,
                    rule.source
                );
            }
        }
    }
    if !json && !set.disabled.is_empty() {
        let ids: Vec<&str> = set.disabled.iter().map(|d| d.id.as_str()).collect();
        println!("disabled by config: {}", ids.join(", "));
    }
    Ok(())
}
