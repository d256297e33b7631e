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

/// A NUL-terminated string at `addr`, read a page at a time (a read may not cross into an
/// unmapped page).
pub fn string(pid: Pid, addr: u64, budget: &mut usize) -> std::io::Result<OsString> {
    let mut out = Vec::new();
    let mut at = addr;
    loop {
        let to_page_end = 4096 - (at % 4096) as usize;
        let mut chunk = vec![0u8; to_page_end];
        let n = read_at(pid, at, &mut chunk)?;
        if n == 0 {
            return Err(std::io::Error::other("empty read"));
        }
        if let Some(end) = chunk[..n].iter().position(|&b| b == 0) {
            out.extend_from_slice(&chunk[..end]);
            break;
        }
        out.extend_from_slice(&chunk[..n]);
        at += n as u64;
        if out.len() > *budget {
            return Err(std::io::Error::other("arguments larger than ARG_MAX"));
        }
    }
    *budget = budget
        .checked_sub(out.len() + 1)
        .ok_or_else(|| std::io::Error::other("arguments larger than ARG_MAX"))?;
    Ok(OsString::from_vec(out))
}

/// The strings of a NULL-terminated array of pointers at `addr` (an exec's argv).
pub fn string_array(pid: Pid, addr: u64) -> std::io::Result<Vec<OsString>> {
    let mut out = Vec::new();
    let mut budget = MAX_ARGS_BYTES;
    if addr == 0 {
        return Ok(out);
    }
    for i in 0..MAX_ARGS {
        let mut ptr = [0u8; 8];
        read_at(pid, addr + 8 * i as u64, &mut ptr)?;
        let ptr = u64::from_ne_bytes(ptr);
        if ptr == 0 {
            return Ok(out);
        }
        out.push(string(pid, ptr, &mut budget)?);
    }
    Err(std::io::Error::other("more arguments than ARG_MAX allows"))
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
