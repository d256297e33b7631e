//! Reading a supervised process: strings and pointer arrays in its memory (the gate, which
//! sees an exec's arguments as addresses), and what `/proc` says of it (the verifier). Every
//! read is bounded; any failure is an error, and an error denies.

use nix::unistd::Pid;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt as _;
use std::path::PathBuf;

/// The most an exec's arguments may hold, as the kernel's own default limit (ARG_MAX).
pub const MAX_ARGS_BYTES: usize = 2 << 20;
const MAX_ARGS: usize = 1 << 17;

fn read_at(pid: Pid, addr: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    use nix::sys::uio::{RemoteIoVec, process_vm_readv};
    let remote = [RemoteIoVec {
        base: addr as usize,
        len: buf.len(),
    }];
    let mut local = [std::io::IoSliceMut::new(buf)];
    process_vm_readv(pid, &mut local, &remote).map_err(std::io::Error::from)
}

/// Eight bytes at `addr`.
pub fn read_u64(pid: Pid, addr: u64) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    if read_at(pid, addr, &mut b)? != 8 {
        return Err(std::io::Error::other("short read"));
    }
    Ok(u64::from_ne_bytes(b))
}

const PAGE: u64 = 4096;
/// The most pages a `Reader` keeps (1 MiB).
const MAX_PAGES: usize = 256;

/// Reads one process's memory by whole pages and keeps them: an exec's strings lie on few
/// pages (the stack, or the heap of a shell that built them), so the pages every string of
/// an array starts on are read together, in one system call (at the gate, each call is time
/// the exec waits).
pub struct Reader {
    pid: Pid,
    /// Pages read so far, by address; a page that could not be read (or only in part) keeps
    /// what was readable.
    pages: std::collections::HashMap<u64, Vec<u8>>,
    /// What is left of ARG_MAX for the strings still to read.
    budget: usize,
}

impl Reader {
    pub fn new(pid: Pid) -> Reader {
        Reader {
            pid,
            pages: std::collections::HashMap::new(),
            budget: MAX_ARGS_BYTES,
        }
    }

    /// Read the pages in `wanted` not read yet, as few system calls as the kernel allows
    /// (IOV_MAX pages each). A page that cannot be read is kept empty: reading from it is
    /// the error.
    fn fetch(&mut self, wanted: impl IntoIterator<Item = u64>) {
        use nix::sys::uio::{RemoteIoVec, process_vm_readv};
        let mut todo: Vec<u64> = wanted
            .into_iter()
            .filter(|p| !self.pages.contains_key(p))
            .collect();
        todo.sort_unstable();
        todo.dedup();
        // Strings spread over many pages are read a page at a time, and the pages kept stay
        // few: what the arguments can make guard hold is bounded.
        todo.truncate(MAX_PAGES);
        if self.pages.len() + todo.len() > MAX_PAGES {
            self.pages.clear();
        }
        let mut rest = &todo[..];
        while !rest.is_empty() {
            let batch = &rest[..rest.len().min(1024)];
            let mut bufs = vec![[0u8; PAGE as usize]; batch.len()];
            let remote: Vec<RemoteIoVec> = batch
                .iter()
                .map(|&base| RemoteIoVec {
                    base: base as usize,
                    len: PAGE as usize,
                })
                .collect();
            let mut local: Vec<std::io::IoSliceMut> = bufs
                .iter_mut()
                .map(|b| std::io::IoSliceMut::new(b))
                .collect();
            // The kernel stops at the first page it cannot read: the pages before it are
            // whole, that one holds what was read of it, and the next call starts after it.
            let n = process_vm_readv(self.pid, &mut local, &remote).unwrap_or(0);
            drop(local);
            let (whole, part) = (n / PAGE as usize, n % PAGE as usize);
            let done = (whole + 1).min(batch.len());
            for (i, (&page, buf)) in batch.iter().zip(bufs).take(done).enumerate() {
                let len = if i < whole { PAGE as usize } else { part };
                self.pages.insert(page, buf[..len].to_vec());
            }
            rest = &rest[done..];
        }
    }

    /// The bytes from `addr` to the end of its page.
    fn at(&mut self, addr: u64) -> std::io::Result<&[u8]> {
        let page = addr & !(PAGE - 1);
        if !self.pages.contains_key(&page) {
            self.fetch([page]);
        }
        let from = (addr - page) as usize;
        match self.pages.get(&page).and_then(|b| b.get(from..)) {
            Some(rest) if !rest.is_empty() => Ok(rest),
            _ => Err(std::io::Error::other("unreadable memory")),
        }
    }

    /// A NUL-terminated string at `addr`.
    pub fn string(&mut self, addr: u64) -> std::io::Result<OsString> {
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            let budget = self.budget;
            let chunk = self.at(at)?;
            if let Some(end) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..end]);
                break;
            }
            at += chunk.len() as u64;
            out.extend_from_slice(chunk);
            if out.len() > budget {
                return Err(std::io::Error::other("arguments larger than ARG_MAX"));
            }
        }
        self.budget = self
            .budget
            .checked_sub(out.len() + 1)
            .ok_or_else(|| std::io::Error::other("arguments larger than ARG_MAX"))?;
        Ok(OsString::from_vec(out))
    }

    /// The strings of a NULL-terminated array of pointers at `addr` (an exec's argv).
    pub fn string_array(&mut self, addr: u64) -> std::io::Result<Vec<OsString>> {
        let pointers = self.pointers(addr)?;
        self.fetch(pointers.iter().map(|p| p & !(PAGE - 1)));
        pointers.into_iter().map(|p| self.string(p)).collect()
    }

    /// The pointers of a NULL-terminated array.
    fn pointers(&mut self, addr: u64) -> std::io::Result<Vec<u64>> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        let mut at = addr;
        while out.len() < MAX_ARGS {
            // A pointer may straddle two pages.
            let mut word = [0u8; 8];
            let mut got = 0;
            while got < 8 {
                let chunk = self.at(at + got as u64)?;
                let k = chunk.len().min(8 - got);
                word[got..got + k].copy_from_slice(&chunk[..k]);
                got += k;
            }
            let ptr = u64::from_ne_bytes(word);
            if ptr == 0 {
                return Ok(out);
            }
            out.push(ptr);
            at += 8;
        }
        Err(std::io::Error::other("more arguments than ARG_MAX allows"))
    }
}

/// `/proc/PID/…`.
pub fn proc_path(pid: Pid, rest: &str) -> PathBuf {
    PathBuf::from(format!("/proc/{pid}/{rest}"))
}

/// A process's argv as the kernel keeps it (the verifier reads it at the exec stop, when
/// nothing of the new program has run).
pub fn cmdline(pid: Pid) -> std::io::Result<Vec<OsString>> {
    let bytes = std::fs::read(proc_path(pid, "cmdline"))?;
    let mut args: Vec<OsString> = bytes
        .split(|&b| b == 0)
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect();
    // The area ends with a NUL, which leaves one empty piece after it.
    if bytes.last() == Some(&0) {
        args.pop();
    }
    Ok(args)
}

/// Device and inode: what identifies a program, whatever path reached it.
pub type Identity = (u64, u64);

pub fn identity(path: &std::path::Path) -> std::io::Result<Identity> {
    use std::os::unix::fs::MetadataExt as _;
    let m = std::fs::metadata(path)?;
    Ok((m.dev(), m.ino()))
}
