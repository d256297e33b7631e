//! The user layer's index: each rule file's `tools:`, keyed by the file's stat, so a shim call
//! stats the files for other tools instead of opening and reading every one of them.
//!
//! It is a cache (`$XDG_CACHE_HOME/guard/rules-index`) and can only ever save a read:
//! - an entry counts only while the file's stat (device, inode, type and mode, owner, size,
//!   mtime, ctime) is what it was when the file was read; any write changes the ctime, which
//!   no one but root can set back;
//! - an entry is written only for a file whose timestamps are older than `SETTLE_SECS`, so no
//!   later change can land in the same timestamp tick (the "racy git" problem: coarse
//!   timestamps would otherwise hide a second write made just after the first was indexed);
//! - it vouches only for files and directories the current user owns, which anything running
//!   as that user could rewrite anyway: never for the root-owned `/etc/guard` (not indexed at
//!   all) nor for a file someone else locked down;
//! - a missing, truncated or corrupt index, or one for another directory, is simply rebuilt.

use nix::sys::stat::FileStat;
use std::path::Path;

/// How old a timestamp must be before an entry relies on it. Above the granularity of any
/// filesystem's timestamps (FAT's are 2 s; most are a kernel tick).
pub const SETTLE_SECS: i64 = 3;

const HEADER: &[u8] = b"guard rules index 1";

/// What stat says of a file or directory: every field a change to it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub uid: u32,
    pub size: i64,
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Stamp {
    // The field types of `struct stat` differ between platforms; the casts are identities on
    // some of them.
    #[allow(clippy::unnecessary_cast)]
    pub fn of(st: &FileStat) -> Stamp {
        Stamp {
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            mode: st.st_mode as u32,
            uid: st.st_uid as u32,
            size: st.st_size as i64,
            mtime: (st.st_mtime as i64, st.st_mtime_nsec as i64),
            ctime: (st.st_ctime as i64, st.st_ctime_nsec as i64),
        }
    }

    /// Last changed more than `SETTLE_SECS` before `now` (seconds since the epoch, taken
    /// before the stat): any later change gets a timestamp this one cannot have.
    fn settled(&self, now: i64) -> bool {
        self.mtime.0.max(self.ctime.0) < now - SETTLE_SECS
    }

    fn is_regular_file(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }

    fn is_dir(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }

    fn render(&self, out: &mut Vec<u8>) {
        let s = format!(
            "{} {} {} {} {} {}.{} {}.{}",
            self.dev,
            self.ino,
            self.mode,
            self.uid,
            self.size,
            self.mtime.0,
            self.mtime.1,
            self.ctime.0,
            self.ctime.1
        );
        out.extend_from_slice(s.as_bytes());
    }

    fn parse<'a>(tokens: &mut impl Iterator<Item = &'a [u8]>) -> Option<Stamp> {
        let mut next = || std::str::from_utf8(tokens.next()?).ok();
        let time = |t: &str| {
            let (s, ns) = t.split_once('.')?;
            Some((s.parse().ok()?, ns.parse().ok()?))
        };
        Some(Stamp {
            dev: next()?.parse().ok()?,
            ino: next()?.parse().ok()?,
            mode: next()?.parse().ok()?,
            uid: next()?.parse().ok()?,
            size: next()?.parse().ok()?,
            mtime: time(next()?)?,
            ctime: time(next()?)?,
        })
    }
}

/// The seconds since the epoch, for `Stamp::settled`. Taken before any stat it judges.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    name: Vec<u8>,
    stamp: Stamp,
    tools: Vec<String>,
}

/// One directory's index: its listing (while the directory is unchanged) and its files' tools.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    dir: Vec<u8>,
    listing: Option<(Stamp, Vec<Vec<u8>>)>,
    files: Vec<Entry>,
}

impl Index {
    /// An empty index for `dir`.
    pub fn new(dir: &[u8]) -> Index {
        Index {
            dir: dir.to_vec(),
            listing: None,
            files: Vec::new(),
        }
    }

    /// The rule file names in the directory, if it is unchanged since they were listed.
    pub fn listing(&self, dir: &Stamp, euid: u32) -> Option<&[Vec<u8>]> {
        let (stamp, names) = self.listing.as_ref()?;
        (stamp == dir && dir.uid == euid).then_some(names.as_slice())
    }

    /// The tools a file names, if it is unchanged since it was read.
    pub fn tools(&self, name: &[u8], stamp: &Stamp, euid: u32) -> Option<&[String]> {
        let entry = self.files.iter().find(|e| e.name == name)?;
        (entry.stamp == *stamp && stamp.uid == euid).then_some(entry.tools.as_slice())
    }

    /// Remember the directory's listing, if the index may vouch for it.
    pub fn set_listing(&mut self, dir: Stamp, names: &[Vec<u8>], now: i64, euid: u32) {
        if dir.is_dir() && dir.uid == euid && dir.settled(now) {
            self.listing = Some((dir, names.to_vec()));
        }
    }

    /// Remember the tools of a file read as `stamp`, if the index may vouch for it.
    pub fn record(&mut self, name: &[u8], stamp: Stamp, tools: &[String], now: i64, euid: u32) {
        let plain = |t: &String| !t.is_empty();
        if stamp.is_regular_file()
            && stamp.uid == euid
            && stamp.settled(now)
            && valid_name(name)
            && tools.iter().all(plain)
        {
            self.files.retain(|e| e.name != name);
            self.files.push(Entry {
                name: name.to_vec(),
                stamp,
                tools: tools.to_vec(),
            });
        }
    }

    /// The index in `text`, if it is whole and for `dir`; else an empty one.
    pub fn parse(text: &[u8], dir: &[u8]) -> Index {
        Index::parse_whole(text)
            .filter(|index| index.dir == dir)
            .unwrap_or_else(|| Index::new(dir))
    }

    fn parse_whole(text: &[u8]) -> Option<Index> {
        // Whole means it ends with `end N`, N the length of everything before that line: a
        // torn or truncated write is never half-trusted.
        let text = text.strip_suffix(b"\n")?;
        let end = text.iter().rposition(|&b| b == b'\n')? + 1;
        let len: usize = std::str::from_utf8(text[end..].strip_prefix(b"end ")?)
            .ok()?
            .parse()
            .ok()?;
        let body = text[..end].strip_suffix(b"\n").filter(|_| len == end)?;
        let mut lines = body.split(|&b| b == b'\n');
        if lines.next()? != HEADER {
            return None;
        }
        let mut index = Index::new(&unescape(lines.next()?.strip_prefix(b"dir ")?)?);
        for line in lines {
            let mut tokens = line.split(|&b| b == b' ');
            match tokens.next()? {
                b"listing" if index.listing.is_none() && index.files.is_empty() => {
                    let stamp = Stamp::parse(&mut tokens)?;
                    tokens.next().is_none().then_some(())?;
                    index.listing = Some((stamp, Vec::new()));
                }
                b"name" => {
                    let name = unescape(tokens.next()?).filter(|n| valid_name(n))?;
                    tokens.next().is_none().then_some(())?;
                    index.listing.as_mut()?.1.push(name);
                }
                b"file" => {
                    let stamp = Stamp::parse(&mut tokens)?;
                    let name = unescape(tokens.next()?).filter(|n| valid_name(n))?;
                    let tools = tokens
                        .map(|t| String::from_utf8(unescape(t)?).ok())
                        .collect::<Option<Vec<String>>>()?;
                    index.files.push(Entry { name, stamp, tools });
                }
                _ => return None,
            }
        }
        Some(index)
    }

    pub fn render(&self) -> Vec<u8> {
        let mut out = HEADER.to_vec();
        out.extend_from_slice(b"\ndir ");
        escape(&self.dir, &mut out);
        out.push(b'\n');
        if let Some((stamp, names)) = &self.listing {
            out.extend_from_slice(b"listing ");
            stamp.render(&mut out);
            out.push(b'\n');
            for name in names {
                out.extend_from_slice(b"name ");
                escape(name, &mut out);
                out.push(b'\n');
            }
        }
        for e in &self.files {
            out.extend_from_slice(b"file ");
            e.stamp.render(&mut out);
            out.push(b' ');
            escape(&e.name, &mut out);
            for tool in &e.tools {
                out.push(b' ');
                escape(tool.as_bytes(), &mut out);
            }
            out.push(b'\n');
        }
        out.extend_from_slice(format!("end {}\n", out.len()).as_bytes());
        out
    }

    /// The index stored at `path` for `dir`; empty when there is none or it is unusable.
    pub fn read(path: &Path, dir: &[u8]) -> Index {
        use std::io::Read as _;
        const BUF: usize = 16 * 1024;
        let mut text = vec![0; BUF];
        let read = std::fs::File::open(path).and_then(|mut f| {
            // One read is the whole index unless it filled the buffer (a short read that is
            // not the end would fail the `end` check and only cost a rebuild).
            let n = f.read(&mut text)?;
            text.truncate(n);
            if n == BUF {
                f.read_to_end(&mut text)?;
            }
            Ok(())
        });
        match read {
            Ok(()) => Index::parse(&text, dir),
            Err(_) => Index::new(dir),
        }
    }

    /// Replace the index at `path` (mode 0600): written beside it, then renamed over it, so a
    /// reader sees the old index or the new one. Not synced: a lost index is only rebuilt.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        use std::io::Write as _;
        use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let tmp = dir.join(format!(".rules-index.{}.tmp", std::process::id()));
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&self.render()))
            .and_then(|()| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

/// A rule file's name as the loader lists them: one path component.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name != b"." && name != b".." && !name.contains(&b'/')
}

/// Bytes as one space-free token: printable ASCII stays, anything else (and `%`) is `%XX`.
fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        if b.is_ascii_graphic() && b != b'%' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
    }
}

fn unescape(token: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(token.len());
    let mut i = 0;
    while i < token.len() {
        match token[i] {
            b'%' => {
                let hex = std::str::from_utf8(token.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b if b.is_ascii_graphic() => {
                out.push(b);
                i += 1;
            }
            _ => return None,
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EUID: u32 = 1000;
    const NOW: i64 = 1_800_000_000;

    fn file(ctime: i64) -> Stamp {
        Stamp {
            dev: 2049,
            ino: 77,
            mode: 0o100644,
            uid: EUID,
            size: 120,
            mtime: (ctime - 10, 5),
            ctime: (ctime, 999_999_999),
        }
    }

    fn dir_stamp() -> Stamp {
        Stamp {
            mode: 0o040755,
            ino: 12,
            ..file(NOW - 60)
        }
    }

    fn tools(list: &[&str]) -> Vec<String> {
        list.iter().map(|t| t.to_string()).collect()
    }

    fn sample() -> Index {
        let mut index = Index::new(b"/home/u/.config/guard/rules");
        let names = vec![b"a b.yaml".to_vec(), "é%.yml".as_bytes().to_vec()];
        index.set_listing(dir_stamp(), &names, NOW, EUID);
        index.record(b"a b.yaml", file(NOW - 60), &tools(&["other"]), NOW, EUID);
        index.record(
            "é%.yml".as_bytes(),
            file(NOW - 3600),
            &tools(&["a", "b"]),
            NOW,
            EUID,
        );
        index
    }

    #[test]
    fn an_index_reads_back_as_written() {
        let index = sample();
        let text = index.render();
        assert_eq!(Index::parse(&text, b"/home/u/.config/guard/rules"), index);
        assert_eq!(
            index.tools(b"a b.yaml", &file(NOW - 60), EUID),
            Some(&tools(&["other"])[..])
        );
        assert_eq!(
            index.listing(&dir_stamp(), EUID).map(<[_]>::len),
            Some(2),
            "{}",
            String::from_utf8_lossy(&text)
        );
    }

    #[test]
    fn any_change_to_the_stat_voids_an_entry() {
        let index = sample();
        let same = file(NOW - 60);
        let changed = [
            Stamp { ino: 78, ..same },
            Stamp { dev: 1, ..same },
            Stamp { size: 121, ..same },
            Stamp {
                mode: 0o100600,
                ..same
            },
            Stamp { uid: 0, ..same },
            Stamp {
                mtime: (same.mtime.0, 6),
                ..same
            },
            Stamp {
                ctime: (same.ctime.0 + 1, 0),
                ..same
            },
        ];
        for stamp in changed {
            assert_eq!(index.tools(b"a b.yaml", &stamp, EUID), None, "{stamp:?}");
        }
        assert_eq!(index.tools(b"missing.yaml", &same, EUID), None);
        let dir = Stamp {
            mtime: (NOW - 1, 0),
            ..dir_stamp()
        };
        assert_eq!(index.listing(&dir, EUID), None);
    }

    #[test]
    fn a_file_changed_within_the_timestamp_granularity_is_not_indexed() {
        let mut index = Index::new(b"/d");
        index.record(
            b"new.yaml",
            file(NOW - SETTLE_SECS),
            &tools(&["x"]),
            NOW,
            EUID,
        );
        let future = Stamp {
            mtime: (NOW + 100, 0),
            ..file(NOW - 3600)
        };
        index.record(b"future.yaml", future, &tools(&["x"]), NOW, EUID);
        let dir = Stamp {
            ctime: (NOW - 1, 0),
            ..dir_stamp()
        };
        index.set_listing(dir, &[b"new.yaml".to_vec()], NOW, EUID);
        assert_eq!(index, Index::new(b"/d"));
        index.record(
            b"old.yaml",
            file(NOW - SETTLE_SECS - 1),
            &tools(&["x"]),
            NOW,
            EUID,
        );
        assert_ne!(index, Index::new(b"/d"));
    }

    #[test]
    fn the_index_vouches_only_for_what_the_user_owns() {
        let mut index = Index::new(b"/d");
        let roots = Stamp {
            uid: 0,
            ..file(NOW - 60)
        };
        index.record(b"root.yaml", roots, &tools(&["x"]), NOW, EUID);
        let root_dir = Stamp {
            uid: 0,
            ..dir_stamp()
        };
        index.set_listing(root_dir, &[], NOW, EUID);
        let fifo = Stamp {
            mode: 0o010644,
            ..file(NOW - 60)
        };
        index.record(b"fifo.yaml", fifo, &tools(&["x"]), NOW, EUID);
        assert_eq!(index, Index::new(b"/d"));
        // And an entry written for one user is not trusted for another.
        let index = sample();
        assert_eq!(index.tools(b"a b.yaml", &file(NOW - 60), 0), None);
        assert_eq!(index.listing(&dir_stamp(), 0), None);
    }

    #[test]
    fn a_torn_corrupt_or_foreign_index_is_empty() {
        let dir = b"/home/u/.config/guard/rules";
        let text = sample().render();
        for cut in 0..text.len() {
            let index = Index::parse(&text[..cut], dir);
            assert_eq!(index, Index::new(dir), "cut at {cut}");
        }
        let mut bad = text.clone();
        let at = bad.windows(5).position(|w| w == b"file ").unwrap() + 5;
        bad[at] = b'x';
        assert_eq!(Index::parse(&bad, dir), Index::new(dir));
        assert_eq!(
            Index::parse(&text, b"/elsewhere"),
            Index::new(b"/elsewhere")
        );
        let slash = String::from_utf8(text.clone())
            .unwrap()
            .replace("name a%20b.yaml", "name ..%2Fx.yaml");
        assert_eq!(Index::parse(slash.as_bytes(), dir), Index::new(dir));
    }

    #[test]
    fn names_and_tools_of_any_bytes_round_trip() {
        let mut out = Vec::new();
        let bytes: Vec<u8> = (1..=255).collect();
        escape(&bytes, &mut out);
        assert!(!out.contains(&b' ') && !out.contains(&b'\n'));
        assert_eq!(unescape(&out).unwrap(), bytes);
        assert_eq!(unescape(b"%4"), None);
        assert_eq!(unescape(b"%zz"), None);
    }
}
