//! What a person reads, held to golden files (tests/golden/; `GUARD_BLESS=1` rewrites them,
//! then review the diff): refusals, `guard explain` in both formats, `guard log` in both.

use crate::sandbox::{Sandbox, assert_golden, stdout};

fn railway() -> Sandbox {
    Sandbox::guarding("railway")
}

#[test]
fn a_denied_call_is_refused_with_its_rule_and_the_way_to_approve_it() {
    let sb = railway();
    sb.expect(sb.run_line("railway volume delete --volume pg-data"))
        .code(126)
        .stderr_golden("refusal-deny.txt")
        .run();
    assert_eq!(sb.runs("railway"), 0);
}

#[test]
fn a_confirm_without_a_terminal_is_refused_and_recorded_for_approval() {
    let sb = railway();
    sb.expect(sb.run_line("railway down"))
        .code(126)
        .stderr_golden("refusal-confirm-no-tty.txt")
        .run();
    assert_eq!(sb.runs("railway"), 0);
}

#[test]
fn rules_that_do_not_load_refuse_with_the_file_line_and_a_hint() {
    let sb = railway();
    sb.user_rules(
        "broken.yaml",
        "tools: [railway]\nrules:\n  - id: x\n    acton: deny\n",
    );
    sb.expect(sb.run_line("railway status"))
        .code(126)
        .stderr_golden("refusal-broken-rules.txt")
        .run();
    assert_eq!(sb.runs("railway"), 0);
}

#[test]
fn explain_says_the_decision_the_rules_and_the_real_tool() {
    let sb = railway();
    let line = [
        "explain",
        "--",
        "railway",
        "volume",
        "-e",
        "production",
        "delete",
        "-v",
        "pg-data",
    ];
    sb.expect({
        let mut c = sb.guard();
        c.args(line);
        c
    })
    .stdout_golden("explain.txt")
    .run();
    sb.expect({
        let mut c = sb.guard();
        c.args(["explain", "--json"]).args(&line[1..]);
        c
    })
    .stdout_golden("explain.json")
    .run();
}

#[test]
fn log_lists_each_call_with_its_decision_outcome_and_rules() {
    let sb = railway();
    sb.run_line("railway status").output().unwrap();
    sb.run_line("railway volume delete --volume pg-data")
        .output()
        .unwrap();
    // What differs between machines and runs: the time, the uid, the test runner's name.
    let stable = |text: &str| {
        let text = sb.normalize(text);
        let time = regex::Regex::new(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").unwrap();
        let uid = regex::Regex::new(r#""uid":\d+"#).unwrap();
        let parent = regex::Regex::new(r#""parent":"[^"]*""#).unwrap();
        let text = time.replace_all(&text, "[TIME]");
        let text = uid.replace_all(&text, r#""uid":[UID]"#);
        parent
            .replace_all(&text, r#""parent":"[PARENT]""#)
            .into_owned()
    };
    let human = sb.guard().arg("log").output().unwrap();
    assert!(human.status.success());
    assert_golden("log.txt", &stable(&stdout(&human)));
    let json = sb.guard().args(["log", "--json"]).output().unwrap();
    assert!(json.status.success());
    assert_golden("log.jsonl", &stable(&stdout(&json)));
}
