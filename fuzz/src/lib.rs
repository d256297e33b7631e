//! What each fuzz target does with its input, shared by the libFuzzer targets
//! (fuzz_targets/*.rs) and the test suite, which replays every seed and every input that ever
//! failed (fuzz/seeds/TARGET/*, fuzz/regressions/TARGET/*) through the same functions.
//! Each must return for any input: a panic is the failure being looked for.

use guard::host::Host;
use guard::layers::{PerTool, Scope, load};
use guard::paths::Dirs;
use guard::rules::RuleSet;
use guard::rules::decision::decide;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt as _;
use std::sync::OnceLock;

/// A target's name (of its fuzz_targets/*.rs and its seed folder) and what it does.
pub type Target = (&'static str, fn(&[u8]));

/// Every target.
pub const TARGETS: [Target; 6] = [
    ("rule_loading", rule_loading),
    ("argv_matching", argv_matching),
    ("shell_analysis", shell_analysis),
    ("hook_payload", hook_payload),
    ("http_payload", http_payload),
    ("sql_classifier", sql_classifier),
];

fn no_layers() -> Dirs {
    Dirs::rooted(std::path::Path::new("/nonexistent/guard-fuzz"))
}

fn bundled() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        load(&no_layers(), Scope::All, std::time::SystemTime::now())
            .expect("the bundled packs load")
            .0
    })
}

/// A rule file: any text yields a pack or diagnostics; a pack that compiles decides a command.
pub fn rule_loading(data: &[u8]) {
    use guard::rules::compile::{RegexCheck, compile_pack};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut diags = Vec::new();
    if let Some(pack) = compile_pack("fuzz.yaml", text, RegexCheck::Full, &mut diags)
        && diags.is_empty()
    {
        let tool = pack.tools.first().copied().unwrap_or("x");
        let set = RuleSet {
            packs: vec![pack],
            ..Default::default()
        };
        let args: Vec<OsString> = ["delete", "--yes", "-v", "x"].map(OsString::from).into();
        let _ = decide(&set, tool, &args, &[], &Host::for_examples(false));
    }
    for d in &diags {
        let _ = d.to_string();
    }
}

/// Any argv for any bundled tool: the first byte picks the tool, NUL separates arguments.
pub fn argv_matching(data: &[u8]) {
    let rules = bundled();
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let tools = rules.tools(true);
    let tool = tools[pick as usize % tools.len()];
    let args: Vec<OsString> = rest
        .split(|&b| b == 0)
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect();
    let _ = decide(rules, tool, &args, &[], &Host::for_examples(false));
}

/// Any shell string, as a hook receives it: split into simple commands and each judged.
pub fn shell_analysis(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let dirs = no_layers();
    let mut per_tool = PerTool::new(&dirs, std::time::SystemTime::now());
    let mut rules_for = |tool: &str| per_tool.get(tool);
    if let Ok(commands) = guard::shell::simple_commands(text) {
        for c in &commands {
            let _ = guard::shell::judge(c, &mut rules_for, &[]);
        }
    }
}

/// Any bytes on a hook's stdin, for every agent.
pub fn hook_payload(data: &[u8]) {
    use guard::hook::{Agent, parse};
    for agent in Agent::ALL {
        let _ = parse(agent, data);
    }
}

/// Any request body to the database query and GraphQL endpoints the HTTP packs read: the
/// first byte picks the endpoint.
pub fn http_payload(data: &[u8]) {
    const ENDPOINTS: [&str; 4] = [
        "https://api.supabase.com/v1/projects/abcdefghijklmnop/database/query",
        "https://backboard.railway.com/graphql/v2",
        "https://api.cloudflare.com/client/v4/accounts/a/d1/database/d/query",
        "https://shop-acme.turso.io/v2/pipeline",
    ];
    let Some((&pick, body)) = data.split_first() else {
        return;
    };
    let url = ENDPOINTS[pick as usize % ENDPOINTS.len()];
    for (tool, flag) in [("curl", "-d"), ("http", "--raw"), ("wget", "--post-data")] {
        let args = vec![
            OsString::from(url),
            OsString::from(flag),
            OsString::from_vec(body.to_vec()),
        ];
        let _ = decide(bundled(), tool, &args, &[], &Host::for_examples(false));
    }
}

/// Any text as SQL, in every dialect.
pub fn sql_classifier(data: &[u8]) {
    use guard::rules::model::SqlDialect;
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    for d in [
        SqlDialect::Generic,
        SqlDialect::Postgres,
        SqlDialect::Mysql,
        SqlDialect::Sqlite,
    ] {
        let _ = guard::rules::sql::classify(sql, d);
    }
}
