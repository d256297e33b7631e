//! Properties over arbitrary input (proptest): the parsers never panic, and no way of spelling
//! a command, and no added rule, makes its decision weaker.

use guard::hook::{Agent, parse};
use guard::host::Host;
use guard::layers::{PerTool, Scope, load};
use guard::paths::Dirs;
use guard::rules::Action;
use guard::rules::decision::decide;
use guard::rules::model::SqlDialect;
use guard::shell::{judge, simple_commands};
use proptest::prelude::*;
use std::ffi::OsString;
use std::path::Path;

thread_local! {
    /// The bundled packs, loaded once per test thread (proptest runs a test's cases on one).
    static BUNDLED: guard::rules::RuleSet =
        load(&no_layers(), Scope::All, std::time::SystemTime::now()).unwrap().0;
}

fn no_layers() -> Dirs {
    Dirs::rooted(Path::new("/nonexistent/guard-properties"))
}

/// The strictest decision for a shell string, as a hook judges it.
fn strictest(dirs: &Dirs, text: &str) -> Action {
    let mut per_tool = PerTool::new(dirs, std::time::SystemTime::now());
    let mut rules_for = |tool: &str| per_tool.get(tool);
    simple_commands(text)
        .map(|cs| {
            cs.iter()
                .map(|c| judge(c, &mut rules_for, &[]).unwrap().decision.action)
                .max()
                .unwrap_or(Action::Allow)
        })
        .unwrap_or(Action::Confirm)
}

/// Railway command lines: real words from its pack, in any order.
fn railway_args() -> impl Strategy<Value = Vec<String>> {
    let words = prop::sample::select(vec![
        "volume",
        "delete",
        "rm",
        "-v",
        "pg-data",
        "down",
        "-y",
        "status",
        "up",
        "-e",
        "production",
        "--yes",
        "service",
        "environment",
        "logs",
        "--json",
        "variables",
    ]);
    prop::collection::vec(words.prop_map(String::from), 0..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_shell_analysis_never_panics(text in "[a-z $(){}`'\";|&<>\\\\\n=*-]{0,120}") {
        let _ = simple_commands(&text);
    }

    #[test]
    fn the_shell_analysis_never_panics_on_any_text(text in "\\PC{0,200}") {
        let _ = simple_commands(&text);
    }

    #[test]
    fn payload_reading_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        for agent in Agent::ALL {
            let _ = parse(agent, &bytes);
        }
    }

    #[test]
    fn payload_reading_never_panics_on_json_shapes(
        event in "PreToolUse|BeforeTool|beforeShellExecution|x",
        tool in "Bash|run_shell_command|bash|Shell|x",
        command in "\\PC{0,40}",
    ) {
        let json = serde_json::json!({
            "hook_event_name": event, "tool_name": tool, "toolName": tool,
            "tool_use_id": "t", "command": command,
            "tool_input": {"command": command}, "toolArgs": {"command": command},
        });
        for agent in Agent::ALL {
            let _ = parse(agent, json.to_string().as_bytes());
        }
    }

    #[test]
    fn the_sql_classifier_never_panics(sql in "\\PC{0,200}") {
        for d in [SqlDialect::Generic, SqlDialect::Postgres, SqlDialect::Mysql, SqlDialect::Sqlite] {
            let _ = guard::rules::sql::classify(&sql, d);
        }
    }

    #[test]
    fn deciding_never_panics(args in prop::collection::vec("\\PC{0,24}", 0..8)) {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        BUNDLED.with(|rules| {
            for tool in ["railway", "curl", "psql", "git", "kubectl", "rm"] {
                let _ = decide(rules, tool, &args, &[], &Host::for_examples(false));
            }
        });
    }

    #[test]
    fn spelling_a_command_differently_never_weakens_it(args in railway_args()) {
        let dirs = no_layers();
        let line = std::iter::once("railway".to_string()).chain(args).collect::<Vec<_>>().join(" ");
        let plain = strictest(&dirs, &line);
        for spelled in [
            format!("/usr/local/bin/{line}"),
            format!("env X=1 {line}"),
            format!("sudo -E {line}"),
            format!("bash -c '{line}'"),
            format!("timeout 10 {line}"),
            format!("echo ok && {line}"),
            format!("echo $({line})"),
        ] {
            prop_assert!(strictest(&dirs, &spelled) >= plain, "{spelled} is weaker than {line}");
        }
    }

    #[test]
    fn adding_a_rule_never_weakens_a_decision(
        args in railway_args(),
        word in "volume|delete|status|up|down|logs",
        action in prop::sample::select(vec!["allow", "confirm", "deny"]),
    ) {
        let root = tempfile::tempdir().unwrap();
        let dirs = Dirs::rooted(root.path());
        let argv: Vec<OsString> = args.iter().map(OsString::from).collect();
        let before = load(&dirs, Scope::Tool("railway"), std::time::SystemTime::now()).unwrap().0;
        let before = decide(&before, "railway", &argv, &[], &Host::for_examples(false)).action;
        std::fs::create_dir_all(dirs.config.join("rules")).unwrap();
        std::fs::write(
            dirs.config.join("rules/extra.yaml"),
            format!("tools: [railway]\nrules:\n  - id: extra.r\n    action: {action}\n    reason: r\n    match: {{args: '\\b{word}\\b'}}\n    examples: ['railway {word}']\n"),
        )
        .unwrap();
        let after = load(&dirs, Scope::Tool("railway"), std::time::SystemTime::now()).unwrap().0;
        let after = decide(&after, "railway", &argv, &[], &Host::for_examples(false)).action;
        prop_assert!(after >= before, "{args:?}: {before:?} became {after:?} with a {action} rule");
    }
}
