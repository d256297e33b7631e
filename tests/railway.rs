//! The bundled Railway pack through a real shim: every destructive spelling is refused before
//! the real `railway` runs; read-only commands reach it untouched.

use crate::sandbox::{Sandbox, stderr};
use assert_cmd::prelude::*;

fn railway() -> Sandbox {
    Sandbox::guarding("railway")
}

fn assert_refused(sb: &Sandbox, line: &str, rule: &str) {
    let out = sb.run_line(line).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(126),
        "{line} must be refused: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(rule),
        "{line}: expected rule {rule} in:\n{}",
        stderr(&out)
    );
    assert_eq!(
        sb.runs("railway"),
        0,
        "{line}: the real railway must never run"
    );
}

#[test]
fn every_volume_delete_spelling_is_refused() {
    let sb = railway();
    for line in [
        "railway volume delete --volume pg-data",
        "railway volumes rm -v pg-data",
        "railway volume remove --volume=pg-data --yes",
        "railway volume -e production delete -v pg-data",
        "railway volume --environment=production -s api delete -y",
    ] {
        assert_refused(&sb, line, "railway.volume.delete");
    }
}

#[test]
fn project_environment_service_and_variable_deletes_are_refused() {
    let sb = railway();
    for (line, rule) in [
        (
            "railway delete -p my-project -y",
            "railway.project.delete.root",
        ),
        (
            "railway rm --project my-project",
            "railway.project.delete.root",
        ),
        (
            "railway project delete -p my-project",
            "railway.project.delete.subcommand",
        ),
        ("railway projects rm", "railway.project.delete.subcommand"),
        (
            "railway environment delete staging",
            "railway.environment.delete",
        ),
        (
            "railway env rm production --yes",
            "railway.environment.delete",
        ),
        ("railway service delete -s api", "railway.service.delete"),
        (
            "railway variables delete DATABASE_URL",
            "railway.variable.delete",
        ),
        ("railway var -s api rm API_KEY", "railway.variable.delete"),
        (
            "railway fn delete -f cron-job --yes=true",
            "railway.functions.delete",
        ),
        ("railway bucket delete -b assets", "railway.bucket.delete"),
    ] {
        assert_refused(&sb, line, rule);
    }
}

#[test]
fn destructive_graphql_through_railway_api_is_refused() {
    let sb = railway();
    assert_refused(
        &sb,
        r#"railway api 'mutation { volumeDelete(volumeId: "3d2c42fb") }'"#,
        "railway.api.mutation.delete",
    );
    assert_refused(
        &sb,
        r#"railway api "mutation { variableCollectionUpsert(input: {replace: true, variables: {}}) }""#,
        "railway.api.variables.replace",
    );
}

#[test]
fn confirm_rules_without_a_terminal_are_refused() {
    let sb = railway();
    for (line, rule) in [
        ("railway down -y", "railway.down"),
        ("railway volume detach -v pg-data", "railway.volume.detach"),
        ("railway api -f mutation.graphql", "railway.api.file"),
    ] {
        let out = sb.run_line(line).output().unwrap();
        assert_eq!(out.status.code(), Some(126), "{line}");
        assert!(
            stderr(&out).contains("needs a human's confirmation"),
            "{line}: {}",
            stderr(&out)
        );
        assert!(stderr(&out).contains(rule), "{line}");
    }
    assert_eq!(sb.runs("railway"), 0);
}

#[test]
fn read_only_commands_reach_the_real_railway() {
    let sb = railway();
    let lines = [
        "railway status",
        "railway volume list",
        "railway logs -s api",
        "railway volume delete --help",
        "railway --version",
        "railway api 'query { me { id } }'",
        "railway variables -s api",
    ];
    for line in lines {
        sb.run_line(line).assert().success();
    }
    assert_eq!(sb.runs("railway"), lines.len());
}
