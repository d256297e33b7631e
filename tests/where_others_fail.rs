//! The command shapes the best-known open-source command guards let through (options before
//! the verb, aliases, refspec force pushes, SQL inside quoted arguments, infrastructure API
//! calls), and the SQL-in-strings false positives they raise. Each is decided by the bundled
//! packs exactly as the shim would.

use guard::host::Host;
use guard::layers::{Scope, load};
use guard::paths::Dirs;
use guard::rules::Action;
use guard::rules::decision::decide;
use std::ffi::OsString;
use std::path::Path;

/// The decision for `line` and the ids of the rules that made it.
fn decided(line: &str) -> (Action, Vec<String>) {
    let nowhere = Path::new("/nonexistent/guard-where-others-fail");
    let dirs = Dirs::rooted(nowhere);
    let words = shlex::split(line).unwrap();
    let (rules, _) = load(&dirs, Scope::Tool(&words[0]), std::time::SystemTime::now()).unwrap();
    let args: Vec<OsString> = words[1..].iter().map(OsString::from).collect();
    let d = decide(&rules, &words[0], &args, &[], &Host::for_examples(false));
    (d.action, d.rules.into_iter().map(|r| r.id).collect())
}

fn decision(line: &str) -> Action {
    decided(line).0
}

/// `line` is decided `action` by exactly the rule `id`.
fn assert_decided(line: &str, action: Action, id: &str) {
    assert_eq!(decided(line), (action, vec![id.to_string()]), "{line}");
}

#[test]
fn options_before_the_verb_do_not_hide_it() {
    use Action::{Confirm, Deny};
    for (line, action, id) in [
        (
            "kubectl -n db delete pvc data-postgres-0",
            Deny,
            "kubectl.delete.pvc",
        ),
        (
            "kubectl --context prod delete namespace shop",
            Deny,
            "kubectl.delete.namespace",
        ),
        (
            "aws --region us-east-1 dynamodb delete-table --table-name orders",
            Deny,
            "aws.dynamodb.delete-table",
        ),
        (
            "aws --profile prod rds delete-db-instance --db-instance-identifier main --skip-final-snapshot",
            Deny,
            "aws.rds.delete-db-instance",
        ),
        ("terraform -chdir=infra destroy", Deny, "terraform.destroy"),
        (
            "git -C repo push --force origin main",
            Confirm,
            "git.push.force",
        ),
        (
            "railway volume -e production delete -v pg-data",
            Deny,
            "railway.volume.delete",
        ),
    ] {
        assert_decided(line, action, id);
    }
}

#[test]
fn aliases_from_the_tools_own_sources_are_covered() {
    for (line, id) in [
        ("helm del shop", "helm.uninstall"),
        ("helm un shop", "helm.uninstall"),
        ("heroku destroy -a shop", "heroku.apps.destroy"),
        ("fly apps rm shop", "fly.apps.destroy"),
        ("doctl compute droplet d 1234", "doctl.droplet.delete"),
        ("railway vars rm API_KEY", "railway.variable.delete"),
    ] {
        assert_decided(line, Action::Deny, id);
    }
}

#[test]
fn refspec_force_pushes_are_force_pushes() {
    for line in [
        "git push origin +main",
        "git push origin +HEAD:refs/heads/main",
    ] {
        assert_decided(line, Action::Confirm, "git.push.plus-refspec");
    }
    assert_eq!(decision("git push origin main"), Action::Allow);
}

#[test]
fn sql_and_scripts_inside_quoted_arguments_are_read() {
    for (line, id) in [
        ("psql -c 'DROP TABLE users'", "psql.sql.drop"),
        ("psql -d prod --command='TRUNCATE orders'", "psql.sql.drop"),
        ("mysql -e 'DROP DATABASE shop'", "mysql.sql.drop"),
        (
            "mongosh shop --eval 'db.dropDatabase()'",
            "mongosh.eval.drop",
        ),
        (
            "heroku pg:psql -a shop -c 'DELETE FROM users'",
            "heroku.pg.psql.drop",
        ),
    ] {
        assert_decided(line, Action::Deny, id);
    }
}

#[test]
fn sql_words_inside_strings_and_comments_do_not_fire() {
    for line in [
        "psql -c \"SELECT 'drop table users'\"",
        "psql -c '-- DROP TABLE users' -c 'SELECT 1'",
        "psql -c 'SELECT * FROM audit WHERE note LIKE $$%truncate%$$'",
        "mysql -e \"SELECT 'DELETE FROM users' AS example\"",
    ] {
        assert_eq!(decision(line), Action::Allow, "{line}");
    }
}

#[test]
fn infrastructure_api_calls_are_refused() {
    for (line, id) in [
        (
            r#"curl -X POST https://backboard.railway.app/graphql/v2 -H "Authorization: Bearer t" -d '{"query":"mutation { volumeDelete(volumeId: \"3d2c42fb\") }"}'"#,
            "curl.graphql.mutation.delete",
        ),
        (
            r#"curl https://backboard.railway.com/graphql/v2 --json '{"query":"mutation { projectDelete(id: \"p\") }"}'"#,
            "curl.graphql.mutation.delete",
        ),
        (
            "curl -XDELETE https://api.github.com/repos/acme/website",
            "curl.rest.delete",
        ),
        (
            "curl -X DELETE https://api.heroku.com/apps/shop",
            "curl.rest.delete",
        ),
    ] {
        assert_decided(line, Action::Deny, id);
    }
}
