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

fn decision(line: &str) -> Action {
    let nowhere = Path::new("/nonexistent/guard-where-others-fail");
    let dirs = Dirs::rooted(nowhere);
    let words = shlex::split(line).unwrap();
    let (rules, _) = load(&dirs, Scope::Tool(&words[0])).unwrap();
    let args: Vec<OsString> = words[1..].iter().map(OsString::from).collect();
    decide(&rules, &words[0], &args, &[], &Host::for_examples(false)).action
}

#[test]
fn options_before_the_verb_do_not_hide_it() {
    for line in [
        "kubectl -n db delete pvc data-postgres-0",
        "kubectl --context prod delete namespace shop",
        "aws --region us-east-1 dynamodb delete-table --table-name orders",
        "aws --profile prod rds delete-db-instance --db-instance-identifier main --skip-final-snapshot",
        "terraform -chdir=infra destroy",
        "git -C repo push --force origin main",
        "railway volume -e production delete -v pg-data",
    ] {
        assert_ne!(decision(line), Action::Allow, "{line}");
    }
}

#[test]
fn aliases_from_the_tools_own_sources_are_covered() {
    for line in [
        "helm del shop",
        "helm un shop",
        "heroku destroy -a shop",
        "fly apps rm shop",
        "doctl compute droplet d 1234",
        "railway vars rm API_KEY",
    ] {
        assert_ne!(decision(line), Action::Allow, "{line}");
    }
}

#[test]
fn refspec_force_pushes_are_force_pushes() {
    assert_ne!(decision("git push origin +main"), Action::Allow);
    assert_ne!(
        decision("git push origin +HEAD:refs/heads/main"),
        Action::Allow
    );
    assert_eq!(decision("git push origin main"), Action::Allow);
}

#[test]
fn sql_and_scripts_inside_quoted_arguments_are_read() {
    for line in [
        "psql -c 'DROP TABLE users'",
        "psql -d prod --command='TRUNCATE orders'",
        "mysql -e 'DROP DATABASE shop'",
        "mongosh shop --eval 'db.dropDatabase()'",
        "heroku pg:psql -a shop -c 'DELETE FROM users'",
    ] {
        assert_eq!(decision(line), Action::Deny, "{line}");
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
    for line in [
        r#"curl -X POST https://backboard.railway.app/graphql/v2 -H "Authorization: Bearer t" -d '{"query":"mutation { volumeDelete(volumeId: \"3d2c42fb\") }"}'"#,
        r#"curl https://backboard.railway.com/graphql/v2 --json '{"query":"mutation { projectDelete(id: \"p\") }"}'"#,
        "curl -XDELETE https://api.github.com/repos/acme/website",
        "curl -X DELETE https://api.heroku.com/apps/shop",
    ] {
        assert_eq!(decision(line), Action::Deny, "{line}");
    }
}
