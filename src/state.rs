//! guard's private state on disk, and what every writer of it shares: a private directory,
//! atomic replacement, random ids, and the clock (read once per call).

use anyhow::{Context, bail};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::time::SystemTime;

/// Create `dir` (and parents) 0700; refuse a state directory others can write to.
pub fn ensure_private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating state directory {}", dir.display()))?;
    check_private_dir(dir)
}

/// Refuse a state directory others can write to: they could forge grants or the audit log.
pub fn check_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .permissions()
        .mode();
    if mode & 0o022 != 0 {
        bail!(
            "state directory {} is writable by other users (mode {:o}); run: chmod 700 {}",
            dir.display(),
            mode & 0o777,
            dir.display()
        );
    }
    Ok(())
}

/// Replace `path` with `bytes` (mode 0600) so readers see the old file or the new one, never a
/// partial write: a temporary file in the same directory, synced, then renamed over it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    replace(path, bytes, true, 0o600).with_context(|| format!("replacing {}", path.display()))
}

/// Replace another program's file (an agent's settings) as `write_atomically` does, with
/// `mode`: the file's old mode, so that what could read it still can.
pub fn write_atomically_with_mode(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    replace(path, bytes, true, mode).with_context(|| format!("replacing {}", path.display()))
}

/// Replace a cache file (mode 0600, its directory created 0700), as `write_atomically` does but
/// not synced: a lost cache entry is only rebuilt.
pub fn write_cache(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    replace(path, bytes, false, 0o600)
}

/// Write `bytes` beside `path` and rename it over `path`; the temporary file never stays.
fn replace(path: &Path, bytes: &[u8], sync: bool, mode: u32) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .and_then(|mut f| {
            // Exactly `mode`, whatever the umask.
            f.set_permissions(std::fs::Permissions::from_mode(mode))?;
            f.write_all(bytes)?;
            if sync { f.sync_all() } else { Ok(()) }
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// How long a hook waits for a lock on the state or the audit log: writers hold them for one
/// write (milliseconds, with 100 calls at once), and the agents' hook timeouts are seconds.
pub const HOOK_LOCK_WAIT: std::time::Duration = std::time::Duration::from_millis(1000);

/// Take `file`'s exclusive lock (released when the file is closed): as long as it takes when
/// `wait`, else for at most `HOOK_LOCK_WAIT` (a hook must answer within the agent's timeout).
pub fn lock(file: &std::fs::File, wait: bool) -> std::io::Result<()> {
    if wait {
        return file.lock();
    }
    let start = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < HOOK_LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(std::io::Error::other(format!(
                    "still locked by another writer after {} ms",
                    HOOK_LOCK_WAIT.as_millis()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// The one read of the clock a call makes; everything it records and compares uses this.
pub fn now() -> SystemTime {
    SystemTime::now()
}

/// Seconds since the Unix epoch, as the state files store times.
pub fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `n` random bytes as hex, from the kernel's generator.
pub fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    let ok = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut buf));
    if ok.is_err() {
        // Not secret (ids are shown to everyone); the time keeps them distinct.
        let t = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        buf.iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = (t >> (i * 8)) as u8);
    }
    hex(&buf)
}

/// Bytes as lower-case hex: ids, the exact bytes of a command, seals.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `hex`'s bytes back; `None` for anything it did not write.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
