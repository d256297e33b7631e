//! The real world content matchers look at: files a command names (bounded in size), what
//! stdin is, and what a path argument resolves to. The one `Inputs` with effects.

use crate::rules::content::{Inputs, MAX_CONTENT};
use crate::rules::model::PathKind;
use std::cell::OnceCell;
use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

#[derive(Default)]
pub struct Host {
    /// Tests of rule examples say "not piped" whatever the linting process's stdin is; a live
    /// call looks (one fstat) only when a `stdin_piped` matcher asks.
    stdin_piped: OnceCell<bool>,
    /// Looked up only when a `path_is` matcher runs: most shim calls never need them, and the
    /// home directory costs a password-database lookup.
    cwd: OnceCell<Option<PathBuf>>,
    home: OnceCell<Option<PathBuf>>,
    /// What stdin carries, where a shell command string shows it (`for_shell`).
    stdin_text: Option<Vec<u8>>,
    /// Another process's directory (`for_process`): relative paths are its, not guard's.
    base: Option<PathBuf>,
    /// That process, whose stdin is the one that counts.
    pid: Option<i32>,
}

impl Host {
    /// The live view for an intercepted call.
    pub fn live() -> Host {
        Host::default()
    }

    /// For rule examples: real paths, and stdin piped only where the example says `< FILE`.
    pub fn for_examples(stdin_piped: bool) -> Host {
        Host {
            stdin_piped: OnceCell::from(stdin_piped),
            ..Host::default()
        }
    }

    /// For another process's exec (strict mode): relative paths from its directory (`cwd`, a
    /// `/proc/PID/cwd` link), stdin its own.
    pub fn for_process(cwd: &Path, pid: i32) -> Host {
        Host {
            base: Some(cwd.to_path_buf()),
            pid: Some(pid),
            ..Host::default()
        }
    }

    /// `path` as the process this host describes would open it.
    fn at(&self, path: &[u8]) -> PathBuf {
        let path = Path::new(OsStr::from_bytes(path));
        match &self.base {
            Some(base) if path.is_relative() => base.join(path),
            _ => path.to_path_buf(),
        }
    }

    /// For a command in a shell string (the hooks, `explain --shell`): stdin as the string
    /// sets it up. Text the string carries, or a file it names that can be read, is seen
    /// (and is not "piped"); a pipe, or a file that cannot be read, is input guard cannot see.
    pub fn for_shell(stdin: &crate::shell::Stdin) -> Host {
        use crate::shell::Stdin;
        let mut host = Host::default();
        let text = match stdin {
            Stdin::Inherited => None,
            Stdin::Text(text) => Some(text.clone().into_bytes()),
            Stdin::File(path) => host.read_file(path.as_bytes()).ok(),
            Stdin::Unknown => None,
        };
        let piped = !matches!(stdin, Stdin::Inherited) && text.is_none();
        host.stdin_piped = OnceCell::from(piped);
        host.stdin_text = text;
        host
    }
}

impl Inputs for Host {
    fn read_file(&self, path: &[u8]) -> Result<Vec<u8>, String> {
        let file = std::fs::File::open(self.at(path)).map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        file.take(MAX_CONTENT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
        if bytes.len() as u64 > MAX_CONTENT {
            return Err(format!("larger than {MAX_CONTENT} bytes"));
        }
        Ok(bytes)
    }

    fn stdin_is_piped(&self) -> bool {
        *self.stdin_piped.get_or_init(|| match self.pid {
            Some(pid) => std::fs::metadata(format!("/proc/{pid}/fd/0")).is_ok_and(|m| {
                use std::os::unix::fs::FileTypeExt as _;
                let t = m.file_type();
                t.is_fifo() || t.is_file() || t.is_socket()
            }),
            None => stdin_piped(),
        })
    }

    fn stdin_text(&self) -> Option<Vec<u8>> {
        self.stdin_text.clone()
    }

    fn path_kinds(&self, word: &[u8]) -> Vec<PathKind> {
        let mut kinds = Vec::new();
        let trimmed = word
            .strip_suffix(b"/")
            .filter(|w| !w.is_empty())
            .unwrap_or(word);
        if matches!(trimmed, b"." | b"..") {
            kinds.push(PathKind::CurrentOrParent);
        }
        let Ok(canon) = std::fs::canonicalize(self.at(word)) else {
            return kinds;
        };
        let depth = canon.components().count();
        if depth == 1 {
            kinds.push(PathKind::Root);
        } else if depth == 2 {
            kinds.push(PathKind::TopLevel);
        }
        if self.home.get_or_init(real_home).as_ref() == Some(&canon) {
            kinds.push(PathKind::Home);
        }
        if canon.join(".git").exists() {
            kinds.push(PathKind::GitRoot);
        }
        let cwd = self.cwd.get_or_init(|| match &self.base {
            Some(base) => std::fs::canonicalize(base).ok(),
            None => std::env::current_dir().ok(),
        });
        if cwd.as_ref().is_some_and(|cwd| cwd.starts_with(&canon)) {
            kinds.push(PathKind::CurrentOrParent);
        }
        kinds
    }
}

/// A pipe, socket or regular file on stdin: input guard cannot see. A terminal or /dev/null
/// is not.
fn stdin_piped() -> bool {
    use nix::sys::stat::{SFlag, fstat};
    let Ok(st) = fstat(std::io::stdin()) else {
        return false;
    };
    let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
    kind == SFlag::S_IFIFO || kind == SFlag::S_IFREG || kind == SFlag::S_IFSOCK
}

/// The home directory from the password database: `$HOME` is the caller's to set, and an
/// agent could point it elsewhere to make `rm -rf ~` look harmless.
fn real_home() -> Option<PathBuf> {
    let user = nix::unistd::User::from_uid(nix::unistd::getuid()).ok()??;
    std::fs::canonicalize(user.dir).ok()
}
