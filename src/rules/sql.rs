//! Classifying SQL statements with a real parser, so `SELECT 'drop table'` and comments do not
//! fire. Where the parser gives up (psql meta-commands, dialect gaps), a conservative keyword
//! check over the text with comments and string literals removed takes over.

use super::model::{SqlClass, SqlDialect};
use sqlparser::ast::{AlterTableOperation, ObjectType, Query, SetExpr, Statement};
use sqlparser::dialect::{Dialect, GenericDialect, MySqlDialect, PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::Parser;

pub fn classify(sql: &str, dialect: SqlDialect) -> Vec<SqlClass> {
    let d: Box<dyn Dialect> = match dialect {
        SqlDialect::Generic => Box::new(GenericDialect {}),
        SqlDialect::Postgres => Box::new(PostgreSqlDialect {}),
        SqlDialect::Mysql => Box::new(MySqlDialect {}),
        SqlDialect::Sqlite => Box::new(SQLiteDialect {}),
    };
    match Parser::parse_sql(d.as_ref(), sql) {
        Ok(statements) => {
            let mut out = Vec::new();
            for s in &statements {
                statement_classes(s, &mut out);
            }
            out
        }
        Err(_) => keyword_classes(sql),
    }
}

/// A statement's classes, with those of the data-modifying statements a query holds:
/// `WITH x AS (…) DELETE FROM t` and `WITH d AS (DELETE FROM t RETURNING *) SELECT …` delete.
fn statement_classes(s: &Statement, out: &mut Vec<SqlClass>) {
    match s {
        Statement::Query(q) => query_classes(q, out),
        _ => out.extend(statement_class(s)),
    }
}

fn query_classes(q: &Query, out: &mut Vec<SqlClass>) {
    for cte in q.with.iter().flat_map(|w| &w.cte_tables) {
        query_classes(&cte.query, out);
    }
    set_expr_classes(&q.body, out);
}

fn set_expr_classes(e: &SetExpr, out: &mut Vec<SqlClass>) {
    match e {
        SetExpr::Delete(s) | SetExpr::Update(s) | SetExpr::Insert(s) | SetExpr::Merge(s) => {
            statement_classes(s, out)
        }
        SetExpr::Query(q) => query_classes(q, out),
        SetExpr::SetOperation { left, right, .. } => {
            set_expr_classes(left, out);
            set_expr_classes(right, out);
        }
        SetExpr::Select(_) | SetExpr::Values(_) | SetExpr::Table(_) => {}
    }
}

fn statement_class(s: &Statement) -> Option<SqlClass> {
    Some(match s {
        Statement::Drop { object_type, .. } => match object_type {
            ObjectType::Database => SqlClass::DropDatabase,
            ObjectType::Schema => SqlClass::DropSchema,
            ObjectType::Table => SqlClass::DropTable,
            _ => SqlClass::DropOther,
        },
        Statement::Truncate(_) => SqlClass::Truncate,
        Statement::Delete(d) if d.selection.is_none() => SqlClass::DeleteWithoutWhere,
        Statement::Update(u) if u.selection.is_none() => SqlClass::UpdateWithoutWhere,
        Statement::Delete(_) => SqlClass::DeleteWithWhere,
        Statement::Update(_) => SqlClass::UpdateWithWhere,
        Statement::AlterTable(a)
            if a.operations.iter().any(|op| {
                matches!(
                    op,
                    AlterTableOperation::DropColumn { .. }
                        | AlterTableOperation::DropConstraint { .. }
                        | AlterTableOperation::DropPrimaryKey { .. }
                        | AlterTableOperation::DropForeignKey { .. }
                        | AlterTableOperation::DropPartitions { .. }
                )
            }) =>
        {
            SqlClass::AlterTableDrop
        }
        _ => return None,
    })
}

/// The fallback: strip comments and quoted text, split on `;`, then look at keywords. It errs
/// towards flagging (a DELETE whose WHERE it cannot find counts as one without WHERE).
fn keyword_classes(sql: &str) -> Vec<SqlClass> {
    let code = strip_comments_and_strings(sql).to_ascii_uppercase();
    let mut out = Vec::new();
    for stmt in code.split(';') {
        let words: Vec<&str> = stmt.split_whitespace().collect();
        let has = |w: &str| words.contains(&w);
        let class = match words.as_slice() {
            ["DROP", "DATABASE", ..] => Some(SqlClass::DropDatabase),
            ["DROP", "SCHEMA", ..] => Some(SqlClass::DropSchema),
            ["DROP", "TABLE", ..] => Some(SqlClass::DropTable),
            ["DROP", ..] => Some(SqlClass::DropOther),
            ["TRUNCATE", ..] => Some(SqlClass::Truncate),
            ["DELETE", ..] if !has("WHERE") => Some(SqlClass::DeleteWithoutWhere),
            ["UPDATE", ..] if !has("WHERE") => Some(SqlClass::UpdateWithoutWhere),
            ["DELETE", ..] => Some(SqlClass::DeleteWithWhere),
            ["UPDATE", ..] => Some(SqlClass::UpdateWithWhere),
            ["ALTER", "TABLE", ..] if has("DROP") => Some(SqlClass::AlterTableDrop),
            // A data-modifying WITH: its WHERE may be the CTE's, so it counts as none.
            ["WITH", ..] if has("DELETE") => Some(SqlClass::DeleteWithoutWhere),
            ["WITH", ..] if has("UPDATE") => Some(SqlClass::UpdateWithoutWhere),
            // Statements inside a block or after a meta-command: look anywhere in it.
            _ if words.windows(2).any(|w| w == ["DROP", "DATABASE"]) => {
                Some(SqlClass::DropDatabase)
            }
            _ if words.windows(2).any(|w| w == ["DROP", "TABLE"]) => Some(SqlClass::DropTable),
            _ if words.windows(2).any(|w| w == ["DROP", "SCHEMA"]) => Some(SqlClass::DropSchema),
            _ if has("TRUNCATE") => Some(SqlClass::Truncate),
            _ => None,
        };
        out.extend(class);
    }
    out
}

fn strip_comments_and_strings(sql: &str) -> String {
    let b = sql.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            q @ (b'\'' | b'"' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                i += 1;
                out.push(b' ');
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use SqlClass::*;

    fn pg(sql: &str) -> Vec<SqlClass> {
        classify(sql, SqlDialect::Postgres)
    }

    #[test]
    fn destructive_statements_are_classified() {
        assert_eq!(pg("DROP TABLE users"), [DropTable]);
        assert_eq!(pg("drop database prod;"), [DropDatabase]);
        assert_eq!(pg("DROP SCHEMA app CASCADE"), [DropSchema]);
        assert_eq!(pg("TRUNCATE orders"), [Truncate]);
        assert_eq!(pg("DELETE FROM users"), [DeleteWithoutWhere]);
        assert_eq!(pg("UPDATE users SET admin = true"), [UpdateWithoutWhere]);
        assert_eq!(pg("DELETE FROM s WHERE expires < now()"), [DeleteWithWhere]);
        assert_eq!(pg("UPDATE u SET a = 1 WHERE id = 7"), [UpdateWithWhere]);
        assert_eq!(
            keyword_classes("delete from t where id = 1"),
            [DeleteWithWhere]
        );
        assert_eq!(pg("SELECT 'delete from t where 1'"), []);
        assert_eq!(pg("ALTER TABLE users DROP COLUMN email"), [AlterTableDrop]);
        assert_eq!(pg("SELECT 1; DROP TABLE t; SELECT 2"), [DropTable]);
    }

    #[test]
    fn data_modifying_with_clauses_are_classified() {
        assert_eq!(
            pg("WITH old AS (SELECT id FROM s) DELETE FROM users"),
            [DeleteWithoutWhere]
        );
        assert_eq!(
            pg(
                "WITH old AS (SELECT id FROM s WHERE x) DELETE FROM users WHERE id IN (SELECT id FROM old)"
            ),
            [DeleteWithWhere]
        );
        assert_eq!(
            pg("WITH d AS (DELETE FROM users RETURNING *) SELECT count(*) FROM d"),
            [DeleteWithoutWhere]
        );
        assert_eq!(
            pg("WITH u AS (SELECT 1) UPDATE t SET a = 1"),
            [UpdateWithoutWhere]
        );
        assert_eq!(
            pg("SELECT 1 UNION (WITH d AS (DELETE FROM t RETURNING 1) SELECT * FROM d)"),
            [DeleteWithoutWhere]
        );
        assert!(pg("WITH x AS (SELECT 1) SELECT * FROM x").is_empty());
        assert_eq!(
            keyword_classes("with x as (select 1 where y) delete from t"),
            [DeleteWithoutWhere]
        );
    }

    #[test]
    fn harmless_statements_and_quoted_or_commented_keywords_do_not_fire() {
        assert!(pg("SELECT 'drop table users'").is_empty());
        assert!(pg("-- DROP TABLE users\nSELECT 1").is_empty());
        assert!(pg("/* truncate t */ SELECT count(*) FROM t").is_empty());
        assert!(pg("ALTER TABLE users ADD COLUMN x int").is_empty());
    }

    #[test]
    fn unparsable_sql_falls_back_to_keywords_without_strings_or_comments() {
        assert_eq!(pg("\\set x 1\nDROP TABLE users;"), [DropTable]);
        assert!(pg("\\echo 'drop table x' -- drop table y").is_empty());
        assert_eq!(keyword_classes("delete from t"), [DeleteWithoutWhere]);
    }
}
