//! A real PostgreSQL server on a temporary directory and port, and the real psql behind the
//! shim: destructive SQL never reaches the server; reads and approved input do.

use crate::sandbox::{Sandbox, pty, pty_exit, stderr, stdout};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    as_root: bool,
}

impl Postgres {
    /// initdb + pg_ctl start, as the `postgres` user when the tests run as root (the server
    /// refuses to run as root).
    fn start(dir: &Path) -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server installed (scripts/test installs it)")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|b| b.join("initdb").exists())
            .expect("initdb under /usr/lib/postgresql/*/bin");
        let as_root = nix::unistd::getuid().is_root();
        let data = dir.join("pgdata");
        std::fs::create_dir_all(&data).unwrap();
        if as_root {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = Postgres {
            bin,
            data,
            port,
            as_root,
        };
        let data = pg.data.display().to_string();
        run(&mut pg.server_cmd(
            "initdb",
            &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"],
        ));
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            pg.port,
            dir.display()
        );
        let log = dir.join("pg.log").display().to_string();
        run(&mut pg.server_cmd(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &opts, "-w", "start"],
        ));
        pg
    }

    fn server_cmd(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        let mut cmd = if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        cmd.args(args).current_dir("/");
        cmd
    }

    /// The real psql, not through guard: to set up and to check what the server holds.
    fn sql(&self, query: &str) -> String {
        let out = Command::new("/usr/bin/psql")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-tAc",
                query,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{query}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn conn(&self) -> Vec<String> {
        [
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let _ = self
            .server_cmd("pg_ctl", &["-D", &data, "-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn psql_through_the_shim_against_a_real_server() {
    let sb = Sandbox::new();
    let pgdir = tempfile::Builder::new()
        .prefix("guard-pg")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(
        pgdir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let pg = Postgres::start(pgdir.path());
    pg.sql("CREATE TABLE t (n int); INSERT INTO t VALUES (1), (2), (3)");
    sb.install(&["psql"]);
    let psql = |extra: &[&str]| {
        let mut cmd = sb.run("psql");
        cmd.args(pg.conn()).args(extra);
        cmd
    };

    // Destructive SQL without a terminal: refused, and the table is untouched.
    let out = psql(&["-c", "DROP TABLE t"]).output().unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert!(stderr(&out).contains("psql.sql.drop"), "{}", stderr(&out));
    assert_eq!(pg.sql("SELECT count(*) FROM t"), "3");

    // A read passes through with the real output.
    let out = psql(&["-tAc", "SELECT count(*) FROM t"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "3");
    // SQL words inside a string are not a statement.
    let out = psql(&["-tAc", "SELECT 'drop table t'"]).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));

    // A file of destructive SQL: refused.
    sb.write("drop.sql", "-- cleanup\nDROP TABLE t;\n");
    let out = psql(&["-f", "drop.sql"]).output().unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    assert_eq!(pg.sql("SELECT count(*) FROM t"), "3");

    // SQL on stdin cannot be inspected: refused without a terminal, pending for a human...
    sb.write("data.sql", "INSERT INTO t VALUES (4), (5);\n");
    let piped = || {
        let mut cmd = psql(&[]);
        cmd.stdin(std::fs::File::open(sb.path("data.sql")).unwrap());
        cmd
    };
    let out = piped().output().unwrap();
    assert_eq!(out.status.code(), Some(126), "{}", stderr(&out));
    let err = stderr(&out);
    let id = err
        .split("guard allow ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    assert_eq!(pg.sql("SELECT count(*) FROM t"), "3");
    // ...who approves it at a terminal; then psql receives the data.
    let mut approve = sb.with_env(Command::new(assert_cmd::cargo::cargo_bin("guard")));
    approve.args(["allow", &id]).current_dir(sb.root.path());
    let mut p = pty(approve);
    p.exp_string("Type yes to allow it").unwrap();
    p.send_line("yes").unwrap();
    p.exp_eof().unwrap();
    assert_eq!(pty_exit(&p), Some(0));
    let out = piped().output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(pg.sql("SELECT count(*) FROM t"), "5");
}
