//! Finding the real tool behind a shim: walk PATH as a shell would, skipping the shim
//! directory and anything that is guard itself, so a shim can never exec itself.

use std::ffi::OsStr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

#[derive(Debug)]
pub struct NotFound {
    pub tool: String,
    pub shim_dir: PathBuf,
}

impl std::error::Error for NotFound {}

impl std::fmt::Display for NotFound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: real command not found on PATH (after skipping {})",
            self.tool,
            self.shim_dir.display()
        )
    }
}

/// The running guard binary, for `real_tool_path` to recognise. On Linux it is the kernel's
/// link: a stat through it identifies guard without first reading the link, as `current_exe`
/// would.
pub fn running_guard() -> PathBuf {
    if cfg!(target_os = "linux") {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().unwrap_or_default()
    }
}

/// The first executable `tool` on `path_var` that is neither in `shim_dir` nor the same file as
/// `guard_exe`. Directories and binaries are compared by device and inode, the identity a
/// canonical path names, so a shim dir listed twice, through a symlink or a bind mount, or a
/// second copy of the shims is still skipped. Every shim call runs this: it stats each
/// candidate once, and a directory only when it holds a candidate.
pub fn real_tool_path(
    tool: &str,
    path_var: Option<&OsStr>,
    shim_dir: &Path,
    guard_exe: &Path,
) -> Result<PathBuf, NotFound> {
    let identity = |p: &Path| std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()));
    let guard_id = identity(guard_exe);
    let shim_id = std::cell::OnceCell::new();
    let not_found = || NotFound {
        tool: tool.to_string(),
        shim_dir: shim_dir.to_path_buf(),
    };
    // A name with a slash is a path, never looked up; a shim is only ever a bare name.
    if tool.is_empty() || tool.contains('/') {
        return Err(not_found());
    }
    for entry in std::env::split_paths(path_var.unwrap_or_default()) {
        // POSIX: an empty PATH entry means the current directory.
        let dir = if entry.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            entry
        };
        let candidate = dir.join(tool);
        let Ok(meta) = std::fs::metadata(&candidate) else {
            continue;
        };
        if !meta.is_file() || meta.permissions().mode() & 0o111 == 0 {
            continue;
        }
        if guard_id.is_some() && Some((meta.dev(), meta.ino())) == guard_id {
            continue;
        }
        let shim_id = shim_id.get_or_init(|| identity(shim_dir));
        if shim_id.is_some() && identity(&dir) == *shim_id {
            continue;
        }
        return Ok(candidate);
    }
    Err(not_found())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn exe(path: &Path) {
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn skips_the_shim_dir_by_canonical_path_and_guard_itself_anywhere() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        for d in ["shims", "other-shims", "bin", "noexec"] {
            std::fs::create_dir(root.join(d)).unwrap();
        }
        let guard = root.join("guard");
        exe(&guard);
        symlink(&guard, root.join("shims/tool")).unwrap();
        symlink(&guard, root.join("other-shims/tool")).unwrap();
        symlink(root.join("shims"), root.join("shims-link")).unwrap();
        std::fs::write(root.join("noexec/tool"), "").unwrap();
        exe(&root.join("bin/tool"));
        let path = std::env::join_paths(
            ["shims-link", "shims", "other-shims", "noexec", "bin"].map(|d| root.join(d)),
        )
        .unwrap();
        let found = real_tool_path("tool", Some(&path), &root.join("shims"), &guard).unwrap();
        assert_eq!(found, root.join("bin/tool"));
    }

    #[test]
    fn not_found_names_the_shim_dir() {
        let err = real_tool_path(
            "nope",
            Some(OsStr::new("/nonexistent")),
            Path::new("/s"),
            Path::new("/g"),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "nope: real command not found on PATH (after skipping /s)"
        );
    }
}
