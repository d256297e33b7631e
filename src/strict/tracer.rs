//! The supervisor's loop: one thread that holds the seccomp listener (the gate) and traces the
//! whole tree (the verifier). Approvals that wait for a human run on their own threads and
//! answer the held exec through the listener; ptrace requests stay on this thread, the tracer.

use super::memory::{self, Identity};
use super::program::{basename, interpreter, is_loader, loader_target, real_cwd, resolve};
use crate::approval::grants::{ExactCommand, Store};
use crate::audit::Approver;
use crate::config::Config;
use crate::paths::Dirs;
use crate::rules::Action;
use crate::rules::decision::{Decision, decide};
use nix::sys::ptrace;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// What the gate let an exec do: the image the verifier must find at the exec stop.
#[derive(Debug, Clone)]
struct Approved {
    /// The program that will run: the file, or a script's (final) interpreter.
    runs: Identity,
    argv: Vec<OsString>,
    /// A script: the kernel puts the interpreter (and its argument) before the argv.
    script: bool,
}

impl Approved {
    fn matches(&self, exe: Identity, cmdline: &[OsString]) -> bool {
        if exe != self.runs {
            return false;
        }
        if self.script {
            let tail = &self.argv[self.argv.len().min(1)..];
            cmdline.len() > tail.len() && cmdline.ends_with(tail)
        } else {
            cmdline == self.argv.as_slice()
        }
    }
}

pub struct Tracer {
    pub dirs: Dirs,
    pub config: Config,
    pub notify: OwnedFd,
    pub root: Pid,
    /// guard's own binary: its CLI and its shims are guard's own decisions.
    pub guard: Identity,
    approved: Arc<Mutex<HashMap<i32, Approved>>>,
    /// A shim the gate let start, by thread: the real tool it then execs with the same
    /// arguments is that shim's decision, already made (and asked, if it asked).
    shim_started: HashMap<i32, (String, Vec<OsString>)>,
    live: HashSet<Pid>,
    /// One human prompt at a time.
    prompt: Arc<Mutex<()>>,
}

enum Gate {
    Continue(Approved),
    /// Refused with this errno, saying why (when it is guard's refusal).
    Refuse(i32, Option<String>),
    /// A human must approve; the exec waits.
    Confirm(Box<Held>),
}

impl Tracer {
    pub fn new(dirs: Dirs, config: Config, notify: OwnedFd, root: Pid, guard: Identity) -> Self {
        Tracer {
            dirs,
            config,
            notify,
            root,
            guard,
            approved: Arc::default(),
            shim_started: HashMap::new(),
            live: HashSet::from([root]),
            prompt: Arc::default(),
        }
    }

    /// Run until the root program exits; its exit status (128 + N for signal N). Whatever
    /// of the tree is left then is killed.
    pub fn run(&mut self, signals: &nix::sys::signalfd::SignalFd) -> u8 {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let mut status = None;
        // The listener hangs up once no task under the filter is left.
        let mut listening = true;
        while status.is_none() || !self.live.is_empty() {
            let mut fds = vec![PollFd::new(signals.as_fd(), PollFlags::POLLIN)];
            if listening {
                fds.push(PollFd::new(self.notify.as_fd(), PollFlags::POLLIN));
            }
            if poll(&mut fds, PollTimeout::from(1000u16)).is_err() {
                continue;
            }
            let events = fds
                .get(1)
                .and_then(PollFd::revents)
                .unwrap_or(PollFlags::empty());
            let notified = events.contains(PollFlags::POLLIN);
            if events.intersects(PollFlags::POLLHUP | PollFlags::POLLERR) && !notified {
                listening = false;
            }
            let signalled = fds[0]
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLIN));
            drop(fds);
            if notified {
                self.gate();
            }
            if signalled && let Ok(Some(info)) = signals.read_signal() {
                match Signal::try_from(info.ssi_signo as i32) {
                    Ok(Signal::SIGCHLD) | Err(_) => {}
                    // The terminal sends these to the whole foreground group already.
                    Ok(Signal::SIGINT | Signal::SIGQUIT) => {}
                    Ok(other) => {
                        let _ = kill(self.root, other);
                    }
                }
            }
            // Tracee stops and exits (SIGCHLD may coalesce: always drain).
            loop {
                let ws = match waitpid(None, Some(WaitPidFlag::__WALL | WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::StillAlive) => break,
                    Ok(ws) => ws,
                    // No child at all is left: any task still counted left unseen (a thread
                    // that exec'd from outside its group's leader has its id taken over).
                    Err(nix::errno::Errno::ECHILD) => {
                        self.live.clear();
                        status = status.or(Some(1));
                        break;
                    }
                    Err(_) => break,
                };
                if let Some(code) = self.stop(ws) {
                    status = Some(code);
                    // The agent is gone: what it left running goes with it.
                    for pid in self.live.iter().copied() {
                        let _ = kill(pid, Signal::SIGKILL);
                    }
                }
            }
            if status.is_some() && self.live.is_empty() {
                break;
            }
        }
        status.unwrap_or(1)
    }

    /// Handle one wait status; the root's exit status when it ended.
    fn stop(&mut self, ws: WaitStatus) -> Option<u8> {
        match ws {
            WaitStatus::Exited(pid, code) => {
                self.forget(pid);
                (pid == self.root).then_some(code as u8)
            }
            WaitStatus::Signaled(pid, sig, _) => {
                self.forget(pid);
                (pid == self.root).then_some(128u8.wrapping_add(sig as u8))
            }
            WaitStatus::PtraceEvent(pid, _, event) if event == libc::PTRACE_EVENT_EXEC => {
                self.live.insert(pid);
                self.verify(pid);
                None
            }
            WaitStatus::PtraceEvent(pid, sig, event) if event == libc::PTRACE_EVENT_STOP => {
                self.live.insert(pid);
                if matches!(
                    sig,
                    Signal::SIGSTOP | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU
                ) {
                    // A group-stop: stay stopped, but let the tracer see the SIGCONT.
                    // SAFETY: PTRACE_LISTEN takes no pointers.
                    unsafe {
                        libc::ptrace(libc::PTRACE_LISTEN, pid.as_raw(), 0, 0);
                    }
                } else {
                    let _ = ptrace::cont(pid, None);
                }
                None
            }
            WaitStatus::PtraceEvent(pid, _, event) => {
                // fork, vfork, clone: the new task arrives traced, with its own stop. (Not
                // vfork-done, whose child may be gone already.)
                self.live.insert(pid);
                let new_task = [
                    libc::PTRACE_EVENT_FORK,
                    libc::PTRACE_EVENT_VFORK,
                    libc::PTRACE_EVENT_CLONE,
                ]
                .contains(&event);
                if new_task
                    && let Ok(child) = ptrace::getevent(pid)
                    && child > 0
                {
                    self.live.insert(Pid::from_raw(child as i32));
                }
                let _ = ptrace::cont(pid, None);
                None
            }
            WaitStatus::Stopped(pid, sig) => {
                // A signal on its way to the tracee: deliver it.
                self.live.insert(pid);
                let _ = ptrace::cont(pid, Some(sig));
                None
            }
            _ => None,
        }
    }

    /// A task ended: nothing it was granted may pass to a later task with its id.
    fn forget(&mut self, pid: Pid) {
        self.live.remove(&pid);
        self.shim_started.remove(&pid.as_raw());
        if let Ok(mut a) = self.approved.lock() {
            a.remove(&pid.as_raw());
        }
    }

    /// The verifier: at the exec stop nothing of the new program has run, its old threads are
    /// gone and its memory is its own. What it runs must be what the gate approved.
    fn verify(&mut self, pid: Pid) {
        let former = ptrace::getevent(pid).map_or(pid.as_raw(), |t| t as i32);
        let approved = self
            .approved
            .lock()
            .map(|mut a| a.remove(&former))
            .unwrap_or(None);
        let exe = memory::identity(&memory::proc_path(pid, "exe"));
        let cmdline = memory::cmdline(pid);
        let ok = match (&approved, &exe, &cmdline) {
            (Some(a), Ok(exe), Ok(cmdline)) => a.matches(*exe, cmdline),
            _ => false,
        };
        if ok {
            let _ = ptrace::cont(pid, None);
            return;
        }
        let shown = cmdline
            .map(|c| crate::display::shell_line(&c))
            .unwrap_or_else(|e| format!("(unreadable: {e})"));
        eprintln!(
            "guard: strict: killed process {pid}: it was about to run {shown}, which is not what guard approved (its arguments or program changed after the check)"
        );
        let _ = kill(pid, Signal::SIGKILL);
        let _ = ptrace::cont(pid, None);
    }

    /// The gate: one exec notification, judged and answered (or held for a human).
    fn gate(&mut self) {
        // SAFETY: seccomp_notif is plain data; the kernel fills it.
        let mut req: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: the ioctl writes one seccomp_notif into `req`.
        let r = unsafe {
            libc::ioctl(
                self.notify.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV as _,
                &mut req,
            )
        };
        if r != 0 {
            return;
        }
        let fd = self.notify.as_raw_fd();
        match self.judge(&req) {
            Ok(Gate::Continue(approved)) => {
                self.approve(req.pid as i32, approved);
                respond(fd, req.id, None);
            }
            Ok(Gate::Refuse(errno, why)) => {
                if let Some(why) = why {
                    eprintln!("guard: strict: {why}");
                }
                respond(fd, req.id, Some(errno));
            }
            Ok(Gate::Confirm(held)) => self.confirm(req, *held),
            Err(e) => {
                eprintln!("guard: strict: refused an exec that could not be checked: {e}");
                respond(fd, req.id, Some(libc::EACCES));
            }
        }
    }

    fn approve(&self, tid: i32, approved: Approved) {
        if let Ok(mut a) = self.approved.lock() {
            a.insert(tid, approved);
        }
    }

    /// Read the exec's program, arguments and environment and decide.
    fn judge(&mut self, req: &libc::seccomp_notif) -> std::io::Result<Gate> {
        let pid = Pid::from_raw(req.pid as i32);
        let (native, _) = super::filter::tables();
        let a = req.data.args;
        let (dirfd, path_at, argv_at, envp_at, flags) = if req.data.nr as u32 == native.execveat {
            (a[0] as i32, a[1], a[2], a[3], a[4] as i32)
        } else {
            (libc::AT_FDCWD, a[0], a[1], a[2], 0)
        };
        let mut reader = memory::Reader::new(pid);
        let path = reader.string(path_at)?;
        let argv = reader.string_array(argv_at)?;
        let envp = reader.string_array(envp_at)?;
        // The process may have died or been interrupted meanwhile: then nothing is owed.
        if !id_valid(self.notify.as_raw_fd(), req.id) {
            return Err(std::io::Error::other("the exec was abandoned"));
        }
        let file = resolve(pid, dirfd, &path, flags);
        let runs = match memory::identity(&file) {
            Ok(id) => id,
            // The exec would fail the same way: say so, run nothing.
            Err(e) => return Ok(Gate::Refuse(e.raw_os_error().unwrap_or(libc::ENOENT), None)),
        };
        let identity = runs;
        let (runs, script) = match interpreter(&file, 0) {
            Some(interp) => (interp, true),
            None => (runs, false),
        };
        let approved = Approved {
            runs,
            argv: argv.clone(),
            script,
        };
        let tid = req.pid as i32;
        let args: Vec<OsString> = argv.iter().skip(1).cloned().collect();
        let argv0 = argv.first().map(|a| basename(a)).unwrap_or_default();
        let cwd = memory::proc_path(pid, "cwd");
        if identity == self.guard {
            if argv0 == "guard" {
                // guard's own commands: `guard run` alone starts programs, and a tree it
                // started would not be this one's.
                if args.first().is_some_and(|a| a == "run") {
                    return Ok(Gate::Refuse(
                        libc::EACCES,
                        Some("`guard run` inside a strict session is refused: its tree would not be supervised".into()),
                    ));
                }
                return Ok(Gate::Continue(approved));
            }
            // A shim: it decides (and asks) itself; the gate only refuses a deny at once.
            let decision = self.decide(&argv0, &args, &envp, pid)?;
            if decision.action == Action::Deny {
                let record = Record {
                    argv: argv.clone(),
                    cwd: real_cwd(&cwd),
                    env: split_env(&envp),
                };
                return Ok(self.refuse_or_grant(&decision, &args, &cwd, approved, &record));
            }
            self.shim_started.insert(tid, (argv0, args));
            return Ok(Gate::Continue(approved));
        }
        if let Some((tool, shim_args)) = self.shim_started.remove(&tid)
            && tool == basename(file.file_name().unwrap_or_default())
            && shim_args == args
        {
            return Ok(Gate::Continue(approved));
        }
        // By the file's name and by argv[0] (multi-call binaries): the stricter decides.
        let mut names = vec![basename(path.as_os_str())];
        let mut args = args;
        let mut argv0 = argv0;
        // The dynamic loader runs the program it is given in its own process, without an
        // exec: judge that program (a wrapper, as `env` is to the shell analysis).
        if is_loader(&names[0])
            && let Some((program, rest, renamed)) = loader_target(&args)
        {
            names = vec![basename(&program)];
            argv0 = renamed.unwrap_or_default();
            args = rest;
        }
        if !names.contains(&argv0) && !argv0.is_empty() {
            names.push(argv0);
        }
        // A symlink under another name runs the program it points to: that name too.
        if let Ok(real) = std::fs::canonicalize(&file)
            && let Some(name) = real.file_name().map(basename)
            && !names.contains(&name)
        {
            names.push(name);
        }
        let mut decision: Option<Decision> = None;
        for name in &names {
            let d = self.decide(name, &args, &envp, pid)?;
            if decision.as_ref().is_none_or(|s| d.action > s.action) {
                decision = Some(d);
            }
        }
        let decision = decision.expect("one name at least");
        let record = Record {
            argv: argv.clone(),
            cwd: real_cwd(&cwd),
            env: split_env(&envp),
        };
        match decision.action {
            Action::Allow => {
                if !decision.rules.is_empty() {
                    record.write(&self.dirs, &decision, Approver::None, None);
                }
                Ok(Gate::Continue(approved))
            }
            Action::Deny => Ok(self.refuse_or_grant(&decision, &args, &cwd, approved, &record)),
            Action::Confirm => {
                let cmd = ExactCommand::new(&decision.tool, &args, &record.cwd);
                let store = Store::new(&self.dirs.state);
                if let Some(id) = self.granted(&store, &cmd) {
                    record.write(&self.dirs, &decision, Approver::Grant(id), None);
                    return Ok(Gate::Continue(approved));
                }
                Ok(Gate::Confirm(Box::new(Held {
                    approved,
                    decision,
                    cmd,
                    record,
                })))
            }
        }
    }

    fn decide(
        &self,
        tool: &str,
        args: &[OsString],
        envp: &[OsString],
        pid: Pid,
    ) -> std::io::Result<Decision> {
        let (rules, _) = crate::layers::load(
            &self.dirs,
            crate::layers::Scope::Tool(tool),
            crate::state::now(),
        )
        .map_err(|e| std::io::Error::other(e.to_string()))?;
        let env = split_env(envp);
        let host = crate::host::Host::for_process(&memory::proc_path(pid, "cwd"), pid.as_raw());
        Ok(decide(&rules, tool, args, &env, &host))
    }

    /// The id of a human's grant for exactly this command, used up.
    fn granted(&self, store: &Store, cmd: &ExactCommand) -> Option<String> {
        let key = crate::approval::passphrase::public_key(&self.dirs, &self.config).ok()?;
        let now = crate::state::unix_secs(crate::state::now());
        store.consume_grant(cmd, now, key.as_ref()).ok().flatten()
    }

    /// A deny: refused, unless a human's grant names exactly this; recorded as pending.
    fn refuse_or_grant(
        &self,
        decision: &Decision,
        args: &[OsString],
        cwd: &Path,
        approved: Approved,
        record: &Record,
    ) -> Gate {
        let cmd = ExactCommand::new(&decision.tool, args, &real_cwd(cwd));
        let store = Store::new(&self.dirs.state);
        if let Some(id) = self.granted(&store, &cmd) {
            record.write(&self.dirs, decision, Approver::Grant(id), None);
            return Gate::Continue(approved);
        }
        record.write(&self.dirs, decision, Approver::None, Some("denied".into()));
        let why = refusal(decision, &cmd, &store, "denied");
        Gate::Refuse(libc::EACCES, Some(why))
    }

    /// Hold the exec while a human approves, on a thread of its own: the tree goes on.
    fn confirm(&self, req: libc::seccomp_notif, held: Held) {
        let Held {
            approved,
            decision,
            cmd,
            record,
        } = held;
        let fd: RawFd = self.notify.as_raw_fd();
        let (dirs, config) = (self.dirs.clone(), self.config.clone());
        let approvals = self.approved.clone();
        let prompt = self.prompt.clone();
        let tid = req.pid as i32;
        std::thread::spawn(move || {
            let _one = prompt.lock();
            let store = Store::new(&dirs.state);
            let yes = match crate::approval::prompt::Tty::open() {
                Ok(mut tty) => {
                    let (command, cwd) = cmd.shown();
                    crate::approval::confirm_on_tty(
                        &mut tty, &decision, &command, &cwd, &dirs, &config,
                    )
                    .map(|()| Approver::Tty)
                    .map_err(|why| format!("not confirmed: {why}"))
                }
                // No terminal: where config.yaml says so, the exec waits for `guard allow`.
                Err(_) => match config.approval_wait {
                    Some(wait) => await_grant(&dirs, &config, &decision, &cmd, wait),
                    None => Err(
                        "needs a human's confirmation, and no terminal is available to ask".into(),
                    ),
                },
            };
            match yes {
                Ok(by) => {
                    record.write(&dirs, &decision, by, None);
                    if let Ok(mut a) = approvals.lock() {
                        a.insert(tid, approved);
                    }
                    respond(fd, req.id, None);
                }
                Err(why) => {
                    record.write(&dirs, &decision, Approver::None, Some(why.clone()));
                    eprintln!("guard: strict: {}", refusal(&decision, &cmd, &store, &why));
                    respond(fd, req.id, Some(libc::EACCES));
                }
            }
        });
    }
}

/// An exec held for a human: what it would run, why, and what to record.
struct Held {
    approved: Approved,
    decision: Decision,
    cmd: ExactCommand,
    record: Record,
}

/// What the audit log needs of an exec.
struct Record {
    argv: Vec<OsString>,
    cwd: PathBuf,
    env: Vec<(OsString, OsString)>,
}

impl Record {
    /// One audit line for a decision of the gate: `refused` says why it did not run.
    fn write(&self, dirs: &Dirs, decision: &Decision, by: Approver, refused: Option<String>) {
        use crate::audit::{self, Entry, Outcome};
        let entry = Entry {
            outcome: if refused.is_some() {
                Outcome::Refused
            } else {
                Outcome::Ran
            },
            approved_by: by,
            refused_because: refused,
            layer: Some("strict".into()),
            ..Entry::decided(
                decision,
                audit::shown_argv(&self.argv),
                &self.cwd,
                audit::Caller::gather(&self.env),
                crate::state::now(),
            )
        };
        let _ = audit::append(&dirs.state, &entry);
    }
}

/// `KEY=VALUE` strings as pairs.
fn split_env(envp: &[OsString]) -> Vec<(OsString, OsString)> {
    envp.iter()
        .filter_map(|kv| {
            let b = kv.as_bytes();
            let i = b.iter().position(|&c| c == b'=')?;
            Some((
                OsStr::from_bytes(&b[..i]).to_owned(),
                OsStr::from_bytes(&b[i + 1..]).to_owned(),
            ))
        })
        .collect()
}

/// Record `cmd` as pending and wait up to `wait` for a human's grant for it (`approval_wait`).
fn await_grant(
    dirs: &Dirs,
    config: &Config,
    decision: &Decision,
    cmd: &ExactCommand,
    wait: std::time::Duration,
) -> Result<Approver, String> {
    let store = Store::new(&dirs.state);
    let start = crate::state::unix_secs(crate::state::now());
    let id = store
        .add_pending(cmd.clone(), decision.rule_lines(), start, true)
        .map_err(|e| format!("the request could not be recorded: {e:#}"))?;
    let key = crate::approval::passphrase::public_key(dirs, config)?;
    eprintln!(
        "guard: strict: {} waits up to {} for a human to run, in their own terminal: guard allow {id}",
        cmd.shown().0,
        humantime::format_duration(wait)
    );
    match store.await_grant(cmd, start, key.as_ref(), wait) {
        Some(grant) => Ok(Approver::Grant(grant)),
        None => Err(format!(
            "no approval within {}",
            humantime::format_duration(wait)
        )),
    }
}

/// The refusal line, with the pending request a human can approve.
fn refusal(decision: &Decision, cmd: &ExactCommand, store: &Store, why: &str) -> String {
    let rules = decision.rule_lines();
    let now = crate::state::unix_secs(crate::state::now());
    let pending = store
        .add_pending(cmd.clone(), rules.clone(), now, true)
        .ok();
    let (command, _) = cmd.shown();
    let mut text = format!(
        "refused: {command}: {why}: {}",
        crate::display::escape(&rules.join("; "))
    );
    if let Some(id) = pending {
        text.push_str(&format!(
            "\nguard: to let it run once, a human runs this in their own terminal: guard allow {id}"
        ));
    }
    text
}

/// Answer a notification: let the exec go on (`None`) or fail it with `errno`.
fn respond(fd: RawFd, id: u64, errno: Option<i32>) {
    let resp = libc::seccomp_notif_resp {
        id,
        val: 0,
        error: errno.map_or(0, |e| -e),
        flags: if errno.is_none() {
            libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32
        } else {
            0
        },
    };
    // SAFETY: the ioctl reads one seccomp_notif_resp.
    unsafe {
        libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_SEND as _, &resp);
    }
}

fn id_valid(fd: RawFd, id: u64) -> bool {
    // SAFETY: the ioctl reads one u64.
    unsafe { libc::ioctl(fd, libc::SECCOMP_IOCTL_NOTIF_ID_VALID as _, &id) == 0 }
}
