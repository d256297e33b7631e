//! `guard run --strict`: the kernel shows guard every exec of the agent's process tree, and
//! guard decides each one with the shim's rules, race-free (docs/strict-mode.md).
//!
//! Two checks, as ../shared research found necessary:
//! - the **gate** (`tracer::Tracer::gate`): a seccomp filter (`filter`) makes every `execve`
//!   and `execveat` of the tree wait while guard reads its program and arguments from the
//!   process's memory and decides: deny fails the exec with `EACCES` and says why, confirm holds
//!   it for a human, allow lets it go on;
//! - the **verifier** (`tracer::Tracer::verify`): what the gate read can be rewritten by another
//!   thread before the kernel reads it, so guard also traces the tree and, at the exec stop (the
//!   new program loaded, nothing of it run yet), checks the program and arguments the process
//!   really has against what the gate approved, and kills it on any difference.
//!
//! It fails closed: it refuses to start when a piece is missing; when guard dies, the traced
//! tree dies with it (`PTRACE_O_EXITKILL`) and an exec still waiting fails; an exec that cannot
//! be read or resolved is refused.

pub mod filter;
mod memory;
mod program;
mod tracer;

use crate::error::{Error, Result};
use crate::paths::Dirs;
use std::ffi::{CString, OsString};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;

/// A value the supervisor reads back out of its child, to prove it can read a process's
/// memory (the gate reads each exec's arguments that way).
static PROBE: u64 = 0x6775_6172_645f_6f6b;

fn refuse(why: impl std::fmt::Display) -> Error {
    Error::refused(format!("run --strict: {why}"))
}

/// Run `program args` under strict supervision with `env`; the program's exit status.
pub fn run(
    dirs: &Dirs,
    program: &OsString,
    args: &[OsString],
    env: Vec<(OsString, OsString)>,
) -> Result<u8> {
    use nix::sys::signal::Signal;
    use nix::sys::signalfd::{SfdFlags, SignalFd};
    if let Ok(scope) = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
        && scope.trim().parse::<u32>().is_ok_and(|s| s >= 2)
    {
        return Err(refuse(format!(
            "the kernel's Yama ptrace_scope is {}: only root may trace processes, so guard cannot verify the tree's execs. \
             hint: `sudo sysctl kernel.yama.ptrace_scope=1`, or run without --strict",
            scope.trim()
        )));
    }
    let config = crate::config::load_checked(dirs).map_err(|d| refuse(d.to_string()))?;
    let guard = memory::identity(std::path::Path::new("/proc/self/exe"))
        .map_err(|e| refuse(format!("cannot identify guard's own binary: {e}")))?;
    // Everything the child needs, made before the fork: after it, the child only makes
    // system calls.
    let cstr = |s: &std::ffi::OsStr| CString::new(s.as_bytes());
    let file = cstr(program).map_err(|_| Error::usage("run: the program name holds a NUL byte"))?;
    let argv: Vec<CString> = std::iter::once(program)
        .chain(args)
        .map(|a| cstr(a))
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| Error::usage("run: an argument holds a NUL byte"))?;
    let envp: Vec<CString> = env
        .iter()
        .filter_map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect();
    let (native, compat) = filter::tables();
    let insns: Vec<libc::sock_filter> = filter::program(native, compat)
        .into_iter()
        .map(|i| libc::sock_filter {
            code: i.code,
            jt: i.jt,
            jf: i.jf,
            k: i.k,
        })
        .collect();
    nix::sys::prctl::set_child_subreaper(true)
        .map_err(|e| refuse(format!("cannot become a subreaper: {e}")))?;
    let mask = crate::commands::run::supervisor_signals()
        .map_err(|e| refuse(format!("blocking signals: {e}")))?;
    let signals = SignalFd::with_flags(&mask, SfdFlags::SFD_CLOEXEC)
        .map_err(|e| refuse(format!("signalfd: {e}")))?;
    let (report_r, report_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| refuse(format!("pipe: {e}")))?;
    let (go_r, go_w) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
        .map_err(|e| refuse(format!("pipe: {e}")))?;
    // SAFETY: guard is single-threaded here; the child makes only system calls until exec.
    let child = match unsafe { nix::unistd::fork() } {
        Err(e) => return Err(refuse(format!("fork: {e}"))),
        Ok(nix::unistd::ForkResult::Child) => {
            drop(report_r);
            drop(go_w);
            child(&insns, &report_w, &go_r, &file, &argv, &envp)
        }
        Ok(nix::unistd::ForkResult::Parent { child }) => child,
    };
    drop(report_w);
    drop(go_r);
    let fail = |why: String| -> Error {
        let _ = nix::sys::signal::kill(child, Signal::SIGKILL);
        let _ = nix::sys::wait::waitpid(child, None);
        refuse(why)
    };
    let mut word = [0u8; 4];
    if nix::unistd::read(&report_r, &mut word).ok() != Some(4) {
        return Err(fail("the child could not set up the filter".into()));
    }
    let listener = i32::from_ne_bytes(word);
    if listener < 0 {
        let errno = nix::errno::Errno::from_raw(-listener);
        return Err(fail(match errno {
            nix::errno::Errno::EBUSY => "another supervisor already watches execs here (WSL's mirrored networking, an agent's own sandbox, a container runtime): the kernel allows one. hint: on WSL, set networkingMode=NAT".into(),
            nix::errno::Errno::EINVAL | nix::errno::Errno::ENOSYS => "this kernel (or sandbox, such as gVisor) has no seccomp user notification; Linux 5.5 or later is needed".into(),
            e => format!("cannot install the seccomp filter: {e}"),
        }));
    }
    let notify = take_fd(child, listener).map_err(|e| {
        fail(format!(
            "cannot take the filter's listener from the child: {e}"
        ))
    })?;
    use nix::sys::ptrace::Options;
    let options = Options::PTRACE_O_TRACEEXEC
        | Options::PTRACE_O_TRACEFORK
        | Options::PTRACE_O_TRACEVFORK
        | Options::PTRACE_O_TRACECLONE
        | Options::PTRACE_O_EXITKILL;
    nix::sys::ptrace::seize(child, options).map_err(|e| {
        fail(format!("cannot trace the child ({e}): ptrace is blocked here (Yama, a container's seccomp or AppArmor policy)"))
    })?;
    if memory::read_u64(child, &raw const PROBE as u64).ok() != Some(PROBE) {
        return Err(fail("cannot read the child's memory (process_vm_readv is blocked here): guard could not see what an exec runs".into()));
    }
    // Linux 6.6: the notified task and guard hand over on one CPU (a tenth of the round trip).
    // SAFETY: the ioctl reads one u64.
    unsafe {
        libc::ioctl(
            std::os::fd::AsRawFd::as_raw_fd(&notify),
            libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS as _,
            &1u64,
        );
    }
    if nix::unistd::write(&go_w, &[1]).is_err() {
        return Err(fail("the child did not wait to be traced".into()));
    }
    drop(go_w);
    let mut tracer = tracer::Tracer::new(dirs.clone(), config, notify, child, guard);
    Ok(tracer.run(&signals))
}

/// The child: no new privileges, the filter, its listener reported, then (once traced) the
/// program. Never returns.
fn child(
    insns: &[libc::sock_filter],
    report: &OwnedFd,
    go: &OwnedFd,
    file: &CString,
    argv: &[CString],
    envp: &[CString],
) -> ! {
    let prog = libc::sock_fprog {
        len: insns.len() as u16,
        filter: insns.as_ptr() as *mut libc::sock_filter,
    };
    // SAFETY: plain system calls on memory this process owns.
    let listener = unsafe {
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            -(*libc::__errno_location())
        } else {
            let seccomp = |flags: libc::c_ulong| {
                libc::syscall(
                    libc::SYS_seccomp,
                    libc::SECCOMP_SET_MODE_FILTER,
                    flags,
                    &prog as *const libc::sock_fprog,
                ) as i32
            };
            let mut fd = seccomp(
                libc::SECCOMP_FILTER_FLAG_NEW_LISTENER
                    | libc::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV,
            );
            if fd < 0 && *libc::__errno_location() == libc::EINVAL {
                // Before Linux 5.19: no killable wait.
                fd = seccomp(libc::SECCOMP_FILTER_FLAG_NEW_LISTENER);
            }
            if fd < 0 {
                -(*libc::__errno_location())
            } else {
                fd
            }
        }
    };
    let _ = nix::unistd::write(report, &listener.to_ne_bytes());
    let mut b = [0u8; 1];
    if listener < 0 || nix::unistd::read(go, &mut b).ok() != Some(1) {
        // SAFETY: leaving the forked child without running the parent's exit handlers.
        unsafe { libc::_exit(126) }
    }
    // guard holds the listener now; the tree must never (it could answer its own execs).
    // SAFETY: closing a descriptor this process owns.
    unsafe {
        libc::close(listener);
    }
    // The agent gets the signal mask guard started with (guard blocked some for itself).
    let _ = nix::sys::signal::SigSet::empty().thread_set_mask();
    let err = nix::unistd::execvpe(file, argv, envp).unwrap_err();
    let msg = format!(
        "guard: run --strict: cannot start {}: {err}\n",
        file.to_string_lossy()
    );
    let _ = nix::unistd::write(std::io::stderr(), msg.as_bytes());
    let code = if err == nix::errno::Errno::ENOENT {
        127
    } else {
        126
    };
    // SAFETY: as above.
    unsafe { libc::_exit(code) }
}

/// The child's descriptor `fd`, duplicated into guard (pidfd_getfd, Linux 5.6).
fn take_fd(child: nix::unistd::Pid, fd: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: plain system calls; each descriptor returned is owned once.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, child.as_raw(), 0) as i32;
        if pidfd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let pidfd = OwnedFd::from_raw_fd(pidfd);
        let got = libc::syscall(
            libc::SYS_pidfd_getfd,
            std::os::fd::AsRawFd::as_raw_fd(&pidfd),
            fd,
            0,
        ) as i32;
        if got < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(OwnedFd::from_raw_fd(got))
    }
}
