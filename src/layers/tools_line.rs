// Shared by build.rs (through `include!`) and the loader: reads a pack's `tools:` from its
// one-line `tools: [a, b]` form without parsing YAML, so a shim skips packs for other tools.
// `None` when the line is absent or not in that simple form: the caller then parses fully.

pub fn tools_line(text: &str) -> Option<Vec<String>> {
    let line = text.lines().find_map(|l| l.strip_prefix("tools:"))?;
    let list = line
        .split('#')
        .next()?
        .trim()
        .strip_prefix('[')?
        .strip_suffix(']')?;
    let tools: Vec<String> = list
        .split(',')
        .map(|t| t.trim().trim_matches(['"', '\'']).to_string())
        .collect();
    let simple = tools.iter().all(|t| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
    });
    simple.then_some(tools)
}
