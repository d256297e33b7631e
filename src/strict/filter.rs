//! The seccomp filter strict mode puts on the agent's tree: a small classic-BPF program,
//! hand-written (no C libseccomp; `seccompiler` has no user-notification action) and checked
//! in unit tests by running it on a table of system calls.
//!
//! - native `execve`/`execveat` → the supervisor is notified (the gate);
//! - the same from the 32-bit compat table, and x32 calls → refused: they cannot slip past;
//! - `clone` with `CLONE_UNTRACED` or `CLONE_NEWUSER`, `unshare(CLONE_NEWUSER)`,
//!   `process_vm_writev` → `EPERM` (a child the tracer cannot see; a namespace in which the
//!   tree could gain ptrace rights; writing another process's memory after it was checked);
//! - `clone3` and `io_uring_setup` → `ENOSYS` (clone3's flags live in memory a filter cannot
//!   read, and libc falls back to `clone`; io_uring can open and run without system calls);
//! - another architecture → the process is killed.

/// One cBPF instruction (`struct sock_filter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Classic BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
const LD_W_ABS: u16 = 0x20;
const JEQ_K: u16 = 0x15;
const JSET_K: u16 = 0x45;
const RET_K: u16 = 0x06;
pub const RET_ALLOW: u32 = 0x7fff_0000;
pub const RET_USER_NOTIF: u32 = 0x7fc0_0000;
pub const RET_ERRNO: u32 = 0x0005_0000;
pub const RET_KILL_PROCESS: u32 = 0x8000_0000;

// struct seccomp_data: nr at 0, arch at 4, instruction pointer at 8, args at 16 + 8 * i.
const NR: u32 = 0;
const ARCH: u32 = 4;
/// The low 32 bits of the first argument (little-endian): where `clone`'s and `unshare`'s
/// flags are.
const ARG0_LO: u32 = 16;

const CLONE_UNTRACED: u32 = 0x0080_0000;
const CLONE_NEWUSER: u32 = 0x1000_0000;
const X32_BIT: u32 = 0x4000_0000;

/// System call numbers of one table.
pub struct Table {
    pub arch: u32,
    pub execve: u32,
    pub execveat: u32,
    pub clone: u32,
    pub clone3: u32,
    pub unshare: u32,
    pub io_uring_setup: u32,
    pub process_vm_writev: u32,
}

pub const X86_64: Table = Table {
    arch: 0xC000_003E,
    execve: 59,
    execveat: 322,
    clone: 56,
    clone3: 435,
    unshare: 272,
    io_uring_setup: 425,
    process_vm_writev: 311,
};

pub const I386: Table = Table {
    arch: 0x4000_0003,
    execve: 11,
    execveat: 358,
    clone: 120,
    clone3: 435,
    unshare: 310,
    io_uring_setup: 425,
    process_vm_writev: 348,
};

pub const AARCH64: Table = Table {
    arch: 0xC000_00B7,
    execve: 221,
    execveat: 281,
    clone: 220,
    clone3: 435,
    unshare: 97,
    io_uring_setup: 425,
    process_vm_writev: 271,
};

pub const ARM: Table = Table {
    arch: 0x4000_0028,
    execve: 11,
    execveat: 387,
    clone: 120,
    clone3: 435,
    unshare: 337,
    io_uring_setup: 425,
    process_vm_writev: 377,
};

/// The native table and its 32-bit compat table, for this build.
pub fn tables() -> (&'static Table, &'static Table) {
    if cfg!(target_arch = "aarch64") {
        (&AARCH64, &ARM)
    } else {
        (&X86_64, &I386)
    }
}

/// A program being written: instructions, with jumps to named places filled in at the end.
struct Asm {
    out: Vec<(Insn, Option<&'static str>)>,
    labels: Vec<(&'static str, usize)>,
}

impl Asm {
    fn insn(&mut self, code: u16, k: u32) {
        self.out.push((
            Insn {
                code,
                jt: 0,
                jf: 0,
                k,
            },
            None,
        ));
    }
    /// A conditional jump: to `yes` when it holds, else on to the next instruction.
    fn jump(&mut self, code: u16, k: u32, yes: &'static str) {
        self.out.push((
            Insn {
                code,
                jt: 0,
                jf: 0,
                k,
            },
            Some(yes),
        ));
    }
    fn label(&mut self, name: &'static str) {
        self.labels.push((name, self.out.len()));
    }
    /// What both architectures refuse or check, then allow: the system calls that would
    /// leave the tree untraced or unseen (the system call number is loaded).
    fn refusals(&mut self, t: &Table) {
        self.jump(JEQ_K, t.clone, "clone");
        self.jump(JEQ_K, t.unshare, "unshare");
        self.jump(JEQ_K, t.clone3, "enosys");
        self.jump(JEQ_K, t.io_uring_setup, "enosys");
        self.jump(JEQ_K, t.process_vm_writev, "eperm");
        self.insn(RET_K, RET_ALLOW);
    }
    fn finish(self) -> Vec<Insn> {
        let at = |name: &str| {
            self.labels
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, i)| *i)
                .expect("a defined label")
        };
        self.out
            .iter()
            .enumerate()
            .map(|(i, (insn, target))| {
                let mut insn = *insn;
                if let Some(yes) = target {
                    let offset = at(yes) - i - 1;
                    insn.jt = u8::try_from(offset).expect("a short filter");
                }
                insn
            })
            .collect()
    }
}

/// The filter for `native` with its `compat` table.
pub fn program(native: &Table, compat: &Table) -> Vec<Insn> {
    let errno = |e: i32| RET_ERRNO | (e as u32 & 0xffff);
    let mut a = Asm {
        out: Vec::new(),
        labels: Vec::new(),
    };
    a.insn(LD_W_ABS, ARCH);
    a.jump(JEQ_K, native.arch, "native");
    a.jump(JEQ_K, compat.arch, "compat");
    a.insn(RET_K, RET_KILL_PROCESS);

    a.label("native");
    a.insn(LD_W_ABS, NR);
    if native.arch == X86_64.arch {
        a.jump(JSET_K, X32_BIT, "kill");
    }
    a.jump(JEQ_K, native.execve, "notify");
    a.jump(JEQ_K, native.execveat, "notify");
    a.refusals(native);

    // 32-bit programs may run, but not exec: their exec goes through a table guard does not
    // read.
    a.label("compat");
    a.insn(LD_W_ABS, NR);
    a.jump(JEQ_K, compat.execve, "eperm");
    a.jump(JEQ_K, compat.execveat, "eperm");
    a.refusals(compat);

    a.label("clone");
    a.insn(LD_W_ABS, ARG0_LO);
    a.jump(JSET_K, CLONE_UNTRACED | CLONE_NEWUSER, "eperm");
    a.insn(RET_K, RET_ALLOW);
    a.label("unshare");
    a.insn(LD_W_ABS, ARG0_LO);
    a.jump(JSET_K, CLONE_NEWUSER, "eperm");
    a.insn(RET_K, RET_ALLOW);

    a.label("notify");
    a.insn(RET_K, RET_USER_NOTIF);
    a.label("eperm");
    a.insn(RET_K, errno(libc::EPERM));
    a.label("enosys");
    a.insn(RET_K, errno(libc::ENOSYS));
    a.label("kill");
    a.insn(RET_K, RET_KILL_PROCESS);
    a.finish()
}

/// Run `program` on one system call as the kernel would: its return value.
#[cfg(test)]
fn run(program: &[Insn], arch: u32, nr: u32, arg0: u64) -> u32 {
    let load = |k: u32| match k {
        NR => nr,
        ARCH => arch,
        ARG0_LO => arg0 as u32,
        _ => panic!("load at {k}"),
    };
    let (mut acc, mut pc) = (0u32, 0usize);
    loop {
        let i = program[pc];
        pc += 1;
        match i.code {
            LD_W_ABS => acc = load(i.k),
            JEQ_K => pc += usize::from(if acc == i.k { i.jt } else { i.jf }),
            JSET_K => pc += usize::from(if acc & i.k != 0 { i.jt } else { i.jf }),
            RET_K => return i.k,
            c => panic!("opcode {c:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_system_call_gets_the_action_the_design_says() {
        let eperm = RET_ERRNO | libc::EPERM as u32;
        let enosys = RET_ERRNO | libc::ENOSYS as u32;
        for (native, compat) in [(&X86_64, &I386), (&AARCH64, &ARM)] {
            let p = program(native, compat);
            let n = native.arch;
            let c = compat.arch;
            for (arch, nr, arg0, want) in [
                (n, native.execve, 0, RET_USER_NOTIF),
                (n, native.execveat, 0, RET_USER_NOTIF),
                (n, native.clone, 0x11 /* SIGCHLD */, RET_ALLOW),
                (n, native.clone, u64::from(CLONE_UNTRACED) | 0x11, eperm),
                (n, native.clone, u64::from(CLONE_NEWUSER), eperm),
                (n, native.unshare, u64::from(CLONE_NEWUSER), eperm),
                (
                    n,
                    native.unshare,
                    0x2_0000, /* CLONE_NEWNS */
                    RET_ALLOW,
                ),
                (n, native.clone3, 0, enosys),
                (n, native.io_uring_setup, 0, enosys),
                (n, native.process_vm_writev, 0, eperm),
                (n, 0, 0, RET_ALLOW),
                (c, compat.execve, 0, eperm),
                (c, compat.execveat, 0, eperm),
                (c, compat.clone, u64::from(CLONE_UNTRACED), eperm),
                (c, compat.clone, 0, RET_ALLOW),
                (c, 1, 0, RET_ALLOW),
                (0x1234, native.execve, 0, RET_KILL_PROCESS),
            ] {
                assert_eq!(run(&p, arch, nr, arg0), want, "arch {arch:#x} nr {nr}");
            }
        }
        // x32 (the x32 bit on x86_64's own table) never passes.
        let p = program(&X86_64, &I386);
        assert_eq!(run(&p, X86_64.arch, 59 | X32_BIT, 0), RET_KILL_PROCESS);
        assert_eq!(run(&p, X86_64.arch, 1 | X32_BIT, 0), RET_KILL_PROCESS);
    }
}
