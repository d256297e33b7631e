//! `guard log`: the audit trail, newest last, coloured by outcome.

use crate::audit;
use crate::paths::Dirs;
use crate::style::Style;

pub fn run(dirs: &Dirs, lines: usize, json: bool, denied: bool) -> anyhow::Result<()> {
    let entries: Vec<audit::Entry> = audit::read(&dirs.state)?
        .into_iter()
        .filter(|e| !denied || e.outcome == "refused")
        .collect();
    let start = entries.len().saturating_sub(lines);
    let style = Style::for_stdout();
    for e in &entries[start..] {
        if json {
            println!("{}", serde_json::to_string(e)?);
            continue;
        }
        let color = match (e.decision.as_str(), e.outcome.as_str()) {
            (_, "refused") => Style::RED,
            ("allow", _) => "0",
            _ => Style::YELLOW,
        };
        let rules = if e.rules.is_empty() {
            String::new()
        } else {
            format!(" [{}]", e.rules.join(", "))
        };
        let approved = if e.approved_by == "none" {
            String::new()
        } else {
            format!(" (approved by {})", e.approved_by)
        };
        println!(
            "{} {} {}{rules}{approved}",
            e.time,
            style.paint(&format!("{:<7} {:<7}", e.decision, e.outcome), color),
            crate::display::tool_line(
                &e.tool,
                &e.argv.iter().skip(1).map(Into::into).collect::<Vec<_>>()
            ),
        );
    }
    Ok(())
}
