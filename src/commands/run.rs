//! `guard run [--] CMD ARGS…`: run a program (an agent) with the shim directory first on
//! PATH for its process tree only, marked as a guard run session (`agent::RUN_MARKER`, which
//! the audit log records and approval checks honour), as a child subreaper on Linux so a
//! descendant orphaned while it runs stays in the tree. guard stays as the parent: it relays
//! termination signals to the program and exits with its status.

use crate::error::{Error, Result};
use crate::paths::Dirs;
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::Command;

pub fn run(dirs: &Dirs, shim_dir: &Path, command: &[OsString], strict: bool) -> Result {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| Error::usage("run: name the program to run: guard run -- CMD ARGS…"))?;
    if !shim_dir.is_dir() {
        eprintln!(
            "guard: run: warning: the shim directory {} does not exist yet; `guard install --all` creates it",
            crate::display::escape_bytes(std::os::unix::ffi::OsStrExt::as_bytes(
                shim_dir.as_os_str()
            ))
        );
    }
    let session = crate::state::random_hex(6);
    let path = path_with_shims_first(shim_dir, std::env::var_os("PATH").as_deref());
    if strict {
        return run_strict(dirs, program, args, path, &session);
    }
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("PATH", path)
        .env(crate::agent::RUN_MARKER, &session);
    crate::audit::record_session(&dirs.state, &session)?;
    supervise(cmd, program)
}

/// `guard run --strict`: the same environment, every exec of the tree judged (`strict`).
#[cfg(target_os = "linux")]
fn run_strict(
    dirs: &Dirs,
    program: &OsString,
    args: &[OsString],
    path: OsString,
    session: &str,
) -> Result {
    let env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| k != "PATH" && k != crate::agent::RUN_MARKER)
        .chain([
            ("PATH".into(), path),
            (crate::agent::RUN_MARKER.into(), session.into()),
        ])
        .collect();
    crate::audit::record_session(&dirs.state, session)?;
    match crate::strict::run(dirs, program, args, env)? {
        0 => Ok(()),
        code => Err(Error::reported(code)),
    }
}

#[cfg(not(target_os = "linux"))]
fn run_strict(_: &Dirs, _: &OsString, _: &[OsString], _: OsString, _: &str) -> Result {
    Err(Error::refused(
        "run --strict: strict mode needs Linux (seccomp and ptrace); on macOS run the agent in a Linux VM or container",
    ))
}

/// `shim_dir` first, then PATH without it (a second copy would only be skipped).
pub fn path_with_shims_first(shim_dir: &Path, path: Option<&OsStr>) -> OsString {
    let rest = path
        .map(|p| {
            std::env::split_paths(p)
                .filter(|d| d != shim_dir)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    std::env::join_paths(std::iter::once(shim_dir.to_path_buf()).chain(rest))
        .unwrap_or_else(|_| shim_dir.as_os_str().to_os_string())
}

fn spawn_error(program: &OsString, e: std::io::Error) -> Error {
    let code = if e.kind() == std::io::ErrorKind::NotFound {
        crate::exit::NOT_FOUND
    } else {
        crate::exit::REFUSED
    };
    Error::with_code(
        code,
        format!("run: cannot start {}: {e}", program.to_string_lossy()),
    )
}

/// The program's exit as a shell reports it: its code, or 128 + the signal that killed it.
fn exit_of(status: nix::sys::wait::WaitStatus) -> Option<u8> {
    use nix::sys::wait::WaitStatus;
    match status {
        WaitStatus::Exited(_, code) => Some(code as u8),
        WaitStatus::Signaled(_, sig, _) => Some(128u8.wrapping_add(sig as u8)),
        _ => None,
    }
}

/// The signals a supervisor (`guard run`, strict mode) handles itself, blocked for a
/// signalfd before the child exists (so none is lost between the spawn and the first read):
/// children ending, and what it relays to the program.
#[cfg(target_os = "linux")]
pub fn supervisor_signals() -> nix::Result<nix::sys::signal::SigSet> {
    use nix::sys::signal::{SigSet, Signal};
    let mut mask = SigSet::empty();
    for sig in [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGINT,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        mask.add(sig);
    }
    mask.thread_block()?;
    Ok(mask)
}

#[cfg(target_os = "linux")]
fn supervise(mut cmd: Command, program: &OsString) -> Result {
    use nix::sys::signal::{Signal, kill};
    use nix::sys::signalfd::{SfdFlags, SignalFd};
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    use nix::unistd::Pid;
    // Orphans of the tree are reparented to guard, not to init, while it runs.
    nix::sys::prctl::set_child_subreaper(true)
        .map_err(|e| Error::failed(format!("run: cannot become a subreaper: {e}")))?;
    // Block what guard handles before the child exists (std clears the mask in the child), so
    // none is lost between the spawn and the first read.
    let mask =
        supervisor_signals().map_err(|e| Error::failed(format!("run: blocking signals: {e}")))?;
    let child = cmd.spawn().map_err(|e| spawn_error(program, e))?;
    let main = Pid::from_raw(child.id() as i32);
    let fd = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC)
        .map_err(|e| Error::failed(format!("run: signalfd: {e}")))?;
    loop {
        let Ok(Some(info)) = fd.read_signal() else {
            continue;
        };
        let sig = Signal::try_from(info.ssi_signo as i32).ok();
        match sig {
            Some(Signal::SIGCHLD) => loop {
                // Reap every child that ended: the program, and orphans adopted meanwhile.
                match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::StillAlive) | Err(_) => break,
                    Ok(status) if status.pid() == Some(main) => {
                        if let Some(code) = exit_of(status) {
                            return if code == 0 {
                                Ok(())
                            } else {
                                Err(Error::reported(code))
                            };
                        }
                    }
                    Ok(_) => {}
                }
            },
            // The terminal sends these to the whole foreground group, the program included.
            Some(Signal::SIGINT) | Some(Signal::SIGQUIT) | None => {}
            Some(other) => {
                let _ = kill(main, other);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn supervise(mut cmd: Command, program: &OsString) -> Result {
    let status = cmd
        .spawn()
        .map_err(|e| spawn_error(program, e))?
        .wait()
        .map_err(|e| Error::failed(format!("run: waiting: {e}")))?;
    use std::os::unix::process::ExitStatusExt as _;
    let code = status
        .code()
        .map(|c| c as u8)
        .or_else(|| status.signal().map(|s| 128u8.wrapping_add(s as u8)))
        .unwrap_or(1);
    if code == 0 {
        Ok(())
    } else {
        Err(Error::reported(code))
    }
}
