//! `guard log`: the audit trail, newest last, coloured by outcome.

use crate::audit::{self, Approver, Logged, Outcome};
use crate::paths::Dirs;
use crate::style::Style;

pub fn run(dirs: &Dirs, lines: usize, json: bool, denied: bool) -> anyhow::Result<()> {
    let entries: Vec<audit::Entry> = audit::read(&dirs.state)?
        .into_iter()
        .filter(|e| !denied || e.outcome == Outcome::Refused)
        .collect();
    let start = entries.len().saturating_sub(lines);
    let style = Style::for_stdout();
    for e in &entries[start..] {
        if json {
            println!("{}", serde_json::to_string(e)?);
            continue;
        }
        let color = match (e.decision, e.outcome) {
            (_, Outcome::Refused) => Style::RED,
            (Logged::Allow, _) => "0",
            _ => Style::YELLOW,
        };
        let rules = if e.rules.is_empty() {
            String::new()
        } else {
            format!(" [{}]", crate::display::escape(&e.rules.join(", ")))
        };
        let approved = match &e.approved_by {
            Approver::None => String::new(),
            by => format!(
                " (approved by {})",
                crate::display::escape(&String::from(by.clone()))
            ),
        };
        println!(
            "{} {} {}{rules}{approved}",
            e.time,
            style.paint(
                &format!("{:<7} {:<7}", e.decision.as_str(), e.outcome.as_str()),
                color
            ),
            crate::display::tool_line(
                &e.tool,
                &e.argv.iter().skip(1).map(Into::into).collect::<Vec<_>>()
            ),
        );
    }
    Ok(())
}
