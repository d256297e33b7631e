//! One sandbox per test: a private HOME and XDG tree, a shim directory, and fake "real" tools
//! that record their argv, stdin, pid and every run, so tests read as input → expected outcome.

use assert_cmd::cargo::CommandCargoExt;
use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use tempfile::TempDir;

pub struct Sandbox {
    pub root: TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix("guard-test")
            .tempdir()
            .unwrap();
        let sb = Sandbox { root };
        for d in ["home", "data", "cache", "etc", "bin", "shims", "calls"] {
            std::fs::create_dir_all(sb.path(d)).unwrap();
        }
        sb
    }

    /// A sandbox with a fake `tool` (see `fake_tool`) behind its installed shim.
    pub fn guarding(tool: &str) -> Sandbox {
        let sb = Sandbox::new();
        sb.fake_tool(tool);
        sb.install(&[tool]);
        sb
    }

    /// This sandbox with a user rule file `name` holding `yaml`.
    pub fn with_rules(self, name: &str, yaml: &str) -> Sandbox {
        self.user_rules(name, yaml);
        self
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    pub fn shims(&self) -> PathBuf {
        self.path("shims")
    }

    /// A fake real tool in `bin/`: appends a line to `calls/NAME.runs` per run and writes its
    /// argv (NUL-separated), stdin and pid; exits with `$FAKE_EXIT` (default 0).
    pub fn fake_tool(&self, name: &str) {
        let calls = self.path("calls");
        let c = calls.display();
        let script = format!(
            "#!/bin/sh\n\
             echo run >> '{c}/{name}.runs'\n\
             echo $$ > '{c}/{name}.pid'\n\
             : > '{c}/{name}.argv'\n\
             for a in \"$@\"; do printf '%s\\0' \"$a\" >> '{c}/{name}.argv'; done\n\
             cat > '{c}/{name}.stdin'\n\
             echo \"fake {name} ran\"\n\
             exit ${{FAKE_EXIT:-0}}\n"
        );
        self.write_exe(&format!("bin/{name}"), &script);
    }

    pub fn write_exe(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A user rule file in the account's `~/.config/guard/rules/`.
    pub fn user_rules(&self, name: &str, yaml: &str) -> PathBuf {
        self.write(&format!("home/.config/guard/rules/{name}"), yaml)
    }

    pub fn runs(&self, tool: &str) -> usize {
        std::fs::read_to_string(self.path(&format!("calls/{tool}.runs")))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    pub fn recorded_argv(&self, tool: &str) -> Vec<Vec<u8>> {
        let raw = std::fs::read(self.path(&format!("calls/{tool}.argv"))).unwrap();
        let mut args: Vec<Vec<u8>> = raw.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
        args.pop(); // after the final NUL
        args
    }

    pub fn recorded_stdin(&self, tool: &str) -> Vec<u8> {
        std::fs::read(self.path(&format!("calls/{tool}.stdin"))).unwrap()
    }

    pub fn default_path(&self) -> OsString {
        std::env::join_paths([
            self.shims(),
            self.path("bin"),
            "/usr/bin".into(),
            "/bin".into(),
        ])
        .unwrap()
    }

    /// `program` with the sandbox's environment and no controlling terminal (like an agent's
    /// pipe): a prompt must never reach the terminal the tests were started from.
    pub fn sandboxed(&self, mut cmd: Command) -> Command {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                nix::unistd::setsid().map_err(std::io::Error::from)?;
                Ok(())
            });
        }
        self.with_env(cmd)
    }

    /// `program` with the sandbox's environment, for a pseudo-terminal session (rexpect makes
    /// the pty its controlling terminal).
    pub fn with_env(&self, mut cmd: Command) -> Command {
        cmd.env_clear()
            .env("PATH", self.default_path())
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("data"))
            .env("XDG_CACHE_HOME", self.path("cache"))
            .env("GUARD_SYSTEM_DIR", self.path("etc"))
            // The account's home, where the user's rules, config and state live whatever
            // HOME and XDG_* say (debug builds only; see `paths`).
            .env("GUARD_HOME", self.path("home"))
            // Agent detection looks only at the processes between the test and guard, not
            // at whatever runs the test suite (debug builds only; see `agent::session`).
            .env("GUARD_ANCESTRY_ROOT", std::process::id().to_string())
            .env("GUARD_SHIM_DIR", self.shims())
            .current_dir(self.root.path());
        cmd
    }

    /// `guard ARGS…` inside the sandbox.
    pub fn guard(&self) -> Command {
        self.sandboxed(Command::cargo_bin("guard").unwrap())
    }

    /// Install shims for `tools` (through the real `guard install`).
    pub fn install(&self, tools: &[&str]) -> &Self {
        let out = self.guard().arg("install").args(tools).output().unwrap();
        assert!(
            out.status.success(),
            "install failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self
    }

    /// Run `tool` through its shim, found on PATH as an agent's shell would.
    pub fn run(&self, tool: &str) -> Command {
        self.sandboxed(Command::new(self.shims().join(tool)))
    }

    /// Run a command line (shell-quoted, tool first) through the tool's shim.
    pub fn run_line(&self, line: &str) -> Command {
        let mut words = shlex::split(line).expect("a shell-quoted line").into_iter();
        let mut cmd = self.run(&words.next().unwrap());
        cmd.args(words);
        cmd
    }
}

/// A run whose whole outcome is compared: exit code (default 0), stdout and stderr (default
/// empty), so a test cannot pass by checking one of them while another went wrong. Text is
/// compared after `normalize`: the sandbox's root reads `[ROOT]`, and request and grant ids
/// (six hex digits after `guard allow ` or `granted `) read `[ID]`.
pub struct Expect<'a> {
    sb: &'a Sandbox,
    cmd: Command,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Sandbox {
    /// Run `cmd` (a shim call or `guard …`) and compare everything it did: see `Expect`.
    pub fn expect(&self, cmd: Command) -> Expect<'_> {
        Expect {
            sb: self,
            cmd,
            code: 0,
            stdout: String::new(),
            stderr: String::new(),
        }
    }
}

impl Expect<'_> {
    pub fn code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }

    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout = text.to_string();
        self
    }

    pub fn stderr(mut self, text: &str) -> Self {
        self.stderr = text.to_string();
        self
    }

    /// The expected stdout is the golden file `tests/golden/NAME` (written anew under
    /// `GUARD_BLESS=1`; review the diff).
    pub fn stdout_golden(self, name: &str) -> Self {
        let text = golden_text(name);
        self.stdout(&text)
    }

    pub fn stderr_golden(self, name: &str) -> Self {
        let text = golden_text(name);
        self.stderr(&text)
    }

    /// Run and assert; the output, for further checks.
    pub fn run(mut self) -> std::process::Output {
        let out = self
            .cmd
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run the command");
        let (stdout, stderr) = (
            self.sb.normalize(&stdout(&out)),
            self.sb.normalize(&stderr(&out)),
        );
        bless(&mut self.stdout, &stdout);
        bless(&mut self.stderr, &stderr);
        assert_eq!(
            (out.status.code(), stdout.as_str(), stderr.as_str()),
            (Some(self.code), self.stdout.as_str(), self.stderr.as_str()),
            "(exit code, stdout, stderr) of {:?}",
            self.cmd
        );
        out
    }
}

/// Compare `actual` with the golden file `tests/golden/NAME` (`GUARD_BLESS=1` rewrites it).
pub fn assert_golden(name: &str, actual: &str) {
    let mut expected = golden_text(name);
    bless(&mut expected, actual);
    assert_eq!(actual, expected, "golden file tests/golden/{name}");
}

const GOLDEN_MARK: &str = "\u{0}golden:";

fn golden_path(name: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// A golden file's text, tagged with its name so `bless` can rewrite it.
fn golden_text(name: &str) -> String {
    if std::env::var_os("GUARD_BLESS").is_some() {
        return format!("{GOLDEN_MARK}{name}");
    }
    std::fs::read_to_string(golden_path(name)).unwrap_or_else(|_| {
        panic!("missing golden file tests/golden/{name} (GUARD_BLESS=1 writes it)")
    })
}

/// Under `GUARD_BLESS=1`, write what a golden expectation got (and expect it).
fn bless(expected: &mut String, actual: &str) {
    if let Some(name) = expected.strip_prefix(GOLDEN_MARK) {
        std::fs::write(golden_path(name), actual).unwrap();
        *expected = actual.to_string();
    }
}

impl Sandbox {
    /// Output with what varies from run to run replaced: the sandbox root by `[ROOT]`, request
    /// and grant ids by `[ID]`.
    pub fn normalize(&self, text: &str) -> String {
        let root = self.root.path().display().to_string();
        let text = text.replace(&root, "[ROOT]");
        let ids = regex::Regex::new(r"(guard allow |granted |grant:)[0-9a-f]{6}\b").unwrap();
        ids.replace_all(&text, "${1}[ID]").into_owned()
    }
}

/// Run `cmd` with `input` on its stdin (written from a thread: a program that answers before
/// reading all of a big input must not deadlock the test) and collect what it did.
pub fn fed(mut cmd: Command, input: impl Into<Vec<u8>>) -> std::process::Output {
    use std::io::Write as _;
    use std::process::Stdio;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.into();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Start `cmd` on a fresh pseudo-terminal, as a human's terminal session.
pub fn pty(cmd: Command) -> rexpect::session::PtySession {
    rexpect::session::spawn_command(cmd, Some(20_000)).expect("spawn on a pty")
}

/// The exit status of a pty session's process, after it ended.
pub fn pty_exit(session: &rexpect::session::PtySession) -> Option<i32> {
    match session.process().wait().expect("wait") {
        rexpect::process::WaitStatus::Exited(_, code) => Some(code),
        _ => None,
    }
}
