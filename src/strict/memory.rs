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

/// Reads one process's memory a page at a time, keeping the last page: an exec's strings
/// lie side by side on its stack, so most of them cost no further system call.
pub struct Reader {
    pid: Pid,
    page: u64,
    bytes: Vec<u8>,
    /// What is left of ARG_MAX for the strings still to read.
    budget: usize,
}

impl Reader {
    pub fn new(pid: Pid) -> Reader {
        Reader {
            pid,
            page: u64::MAX,
            bytes: Vec::new(),
            budget: MAX_ARGS_BYTES,
        }
    }

    /// The bytes from `addr` to the end of its page.
    fn at(&mut self, addr: u64) -> std::io::Result<&[u8]> {
        let page = addr & !4095;
        if page != self.page {
            self.bytes.resize(4096, 0);
            let n = read_at(self.pid, page, &mut self.bytes)?;
            self.bytes.truncate(n);
            self.page = page;
        }
        let from = (addr - page) as usize;
        match self.bytes.get(from..) {
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
        pointers.into_iter().map(|p| self.string(p)).collect()
    }

    /// The pointers of a NULL-terminated array, read a page at a time.
    fn pointers(&mut self, addr: u64) -> std::io::Result<Vec<u64>> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        let mut at = addr;
        let mut chunk = vec![0u8; 4096];
        while out.len() < MAX_ARGS {
            let len = (4096 - (at % 4096) as usize).max(8) & !7;
            let n = read_at(self.pid, at, &mut chunk[..len])?;
            if n < 8 {
                return Err(std::io::Error::other("unreadable memory"));
            }
            for word in chunk[..n - n % 8].chunks_exact(8) {
                let ptr = u64::from_ne_bytes(word.try_into().expect("8 bytes"));
                if ptr == 0 {
                    return Ok(out);
                }
                out.push(ptr);
            }
            at += (n - n % 8) as u64;
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
