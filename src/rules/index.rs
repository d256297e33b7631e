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
//!
//! A call whose stats confirm every entry writes nothing (`Update`); otherwise the new index is
//! written beside the old one and renamed over it, so a reader never sees half of it.

use nix::sys::stat::FileStat;
use std::path::Path;

/// How old a timestamp must be before an entry relies on it. Above the granularity of any
/// filesystem's timestamps (FAT's are 2 s; most are a kernel tick).
const SETTLE_SECS: i64 = 3;

const HEADER: &[u8] = b"guard rules index 1";

/// The largest index a call reads (`Index::read`).
const MAX_INDEX_BYTES: u64 = 1 << 20;

/// What stat says of a file or directory: every field a change to it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    mode: u32,
    uid: u32,
    size: i64,
    mtime: (i64, i64),
    ctime: (i64, i64),
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

    fn parse(tokens: &mut Tokens<'_>) -> Option<Stamp> {
        Some(Stamp {
            dev: tokens.uint(b' ')?,
            ino: tokens.uint(b' ')?,
            mode: tokens.uint(b' ')?.try_into().ok()?,
            uid: tokens.uint(b' ')?.try_into().ok()?,
            size: tokens.int(b' ')?,
            mtime: (tokens.int(b'.')?, tokens.int(b' ')?),
            ctime: (tokens.int(b'.')?, tokens.int(b' ')?),
        })
    }
}

/// One line of the index, read token by token (tokens are separated by one space).
struct Tokens<'a>(&'a [u8]);

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.0.is_empty() {
            return None;
        }
        let end = self
            .0
            .iter()
            .position(|&b| b == b' ')
            .unwrap_or(self.0.len());
        let token = &self.0[..end];
        self.0 = self.0.get(end + 1..).unwrap_or_default();
        Some(token)
    }
}

impl Tokens<'_> {
    /// A decimal number ending at `delim` or at the end of the line. Read in one pass
    /// because a shim call reads a hundred of them.
    fn uint(&mut self, delim: u8) -> Option<u64> {
        // A plain loop: the iterator form costs three times the instructions at opt-level s.
        let (mut n, mut len) = (0u64, 0);
        while let Some(&b) = self.0.get(len) {
            if b == delim {
                break;
            }
            let digit = b.wrapping_sub(b'0');
            if digit > 9 {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(u64::from(digit))?;
            len += 1;
        }
        self.0 = self.0.get(len + 1..).unwrap_or_default();
        (len > 0).then_some(n)
    }

    /// The same, optionally negative (timestamps before 1970).
    fn int(&mut self, delim: u8) -> Option<i64> {
        match self.0.strip_prefix(b"-") {
            Some(rest) => {
                self.0 = rest;
                i64::try_from(self.uint(delim)?).ok()?.checked_neg()
            }
            None => i64::try_from(self.uint(delim)?).ok(),
        }
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

    /// Start a pass over the directory that checks this index against it (see `Update`).
    pub fn update(&self, now: i64, euid: u32) -> Update<'_> {
        Update {
            old: self,
            now,
            euid,
            kept: vec![false; self.files.len()],
            listing: Seen::Unvouched,
            fresh: Vec::new(),
        }
    }

    fn position(&self, name: &[u8]) -> Option<usize> {
        self.files.iter().position(|e| e.name == name)
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
            let mut tokens = Tokens(line);
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
        // Room for a few dozen files without growing; read_to_end fills it without zeroing
        // it first (a zeroed buffer would cost the shim page faults it never uses).
        let mut text = Vec::with_capacity(8 * 1024);
        // Far above any real index (about 200 bytes per file); a larger one is not read
        // through on every call, but treated as unusable and replaced.
        let read = std::fs::File::open(path)
            .and_then(|f| f.take(MAX_INDEX_BYTES + 1).read_to_end(&mut text));
        match read {
            Ok(n) if n as u64 <= MAX_INDEX_BYTES => Index::parse(&text, dir),
            _ => Index::new(dir),
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

/// One call's pass over the directory, against the stored index: which entries its stats
/// (and reads) confirmed and what it learned. `finish` builds a new index only when that
/// differs from the old one, so the steady state copies nothing and writes nothing.
pub struct Update<'a> {
    old: &'a Index,
    now: i64,
    euid: u32,
    /// Per entry of `old`: confirmed by this pass.
    kept: Vec<bool>,
    /// The directory's listing as this pass saw it.
    listing: Seen,
    /// Entries learned by reading files.
    fresh: Vec<Entry>,
}

impl<'a> Update<'a> {
    /// The directory's stat and the rule file names in it.
    pub fn listing(&mut self, dir: Stamp, names: &[Vec<u8>]) {
        let indexed = |(stamp, old): &(Stamp, Vec<Vec<u8>>)| *stamp == dir && old == names;
        self.listing = if !(dir.is_dir() && self.vouches_for(&dir)) {
            Seen::Unvouched
        } else if self.old.listing.as_ref().is_some_and(indexed) {
            Seen::AsIndexed
        } else {
            Seen::New((dir, names.to_vec()))
        };
    }

    /// The tools of the file `name`, if the index has it with this very stat; `None` means
    /// read the file.
    pub fn known(&mut self, name: &[u8], stamp: &Stamp) -> Option<&'a [String]> {
        let i = self.matching(name, stamp)?;
        self.kept[i] = true;
        Some(&self.old.files[i].tools)
    }

    /// The tools read from the file `name`, whose stat before the read was `stamp`.
    pub fn learned(&mut self, name: &[u8], stamp: Stamp, tools: Vec<String>) {
        if let Some(i) = self.matching(name, &stamp) {
            // `known` kept it by its stat; the read has the last word on its tools.
            self.kept[i] = self.old.files[i].tools == tools;
            if self.kept[i] {
                return;
            }
        }
        if stamp.is_regular_file()
            && self.vouches_for(&stamp)
            && valid_name(name)
            && tools.iter().all(|t| !t.is_empty())
        {
            self.fresh.retain(|e| e.name != name);
            self.fresh.push(Entry {
                name: name.to_vec(),
                stamp,
                tools,
            });
        }
    }

    /// The old entry for `name`, if it was made for this very stat and this user.
    fn matching(&self, name: &[u8], stamp: &Stamp) -> Option<usize> {
        let i = self.old.position(name)?;
        (self.old.files[i].stamp == *stamp && stamp.uid == self.euid).then_some(i)
    }

    /// Whether the index may record something with this stat: the user's own, and settled.
    fn vouches_for(&self, stamp: &Stamp) -> bool {
        stamp.uid == self.euid && stamp.settled(self.now)
    }

    /// The index to store, if it differs from the old one.
    pub fn finish(self) -> Option<Index> {
        let listing_kept = match self.listing {
            Seen::AsIndexed => true,
            Seen::Unvouched => self.old.listing.is_none(),
            Seen::New(_) => false,
        };
        if listing_kept && self.fresh.is_empty() && self.kept.iter().all(|&k| k) {
            return None;
        }
        let kept = self.old.files.iter().zip(&self.kept);
        let mut files: Vec<Entry> = kept.filter(|(_, k)| **k).map(|(e, _)| e.clone()).collect();
        files.extend(self.fresh);
        Some(Index {
            dir: self.old.dir.clone(),
            listing: match self.listing {
                Seen::AsIndexed => self.old.listing.clone(),
                Seen::Unvouched => None,
                Seen::New(listing) => Some(listing),
            },
            files,
        })
    }
}

/// What a pass saw of the directory's listing.
enum Seen {
    /// Nothing the index may vouch for (the directory changed too recently, or is not ours).
    Unvouched,
    /// The listing the index holds.
    AsIndexed,
    /// A listing to remember.
    New((Stamp, Vec<Vec<u8>>)),
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
    // Nearly every name and tool is plain: one copy, no byte-at-a-time pushes.
    if !token.is_empty() && token.iter().all(|&b| b.is_ascii_graphic() && b != b'%') {
        return Some(token.to_vec());
    }
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
    const DIR: &[u8] = b"/home/u/.config/guard/rules";

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

    fn names() -> Vec<Vec<u8>> {
        vec![b"a b.yaml".to_vec(), "é%.yml".as_bytes().to_vec()]
    }

    /// What a pass over the sample directory learns, from `old`.
    fn pass_over(old: &Index) -> Update<'_> {
        let mut pass = old.update(NOW, EUID);
        pass.listing(dir_stamp(), &names());
        pass.learned(b"a b.yaml", file(NOW - 60), tools(&["other"]));
        pass.learned("é%.yml".as_bytes(), file(NOW - 3600), tools(&["a", "b"]));
        pass
    }

    fn sample() -> Index {
        pass_over(&Index::new(DIR)).finish().unwrap()
    }

    fn known(index: &Index, name: &[u8], stamp: &Stamp, euid: u32) -> Option<Vec<String>> {
        index
            .update(NOW, euid)
            .known(name, stamp)
            .map(<[_]>::to_vec)
    }

    #[test]
    fn an_index_reads_back_as_written() {
        let index = sample();
        let text = index.render();
        assert_eq!(Index::parse(&text, DIR), index);
        assert_eq!(
            known(&index, b"a b.yaml", &file(NOW - 60), EUID),
            Some(tools(&["other"]))
        );
        assert_eq!(
            index.listing(&dir_stamp(), EUID).map(<[_]>::len),
            Some(2),
            "{}",
            String::from_utf8_lossy(&text)
        );
    }

    #[test]
    fn an_unchanged_directory_rewrites_nothing() {
        let index = sample();
        assert_eq!(pass_over(&index).finish(), None);
        // Skipped by its stat alone, and the other file read again: still nothing to write.
        let mut pass = index.update(NOW, EUID);
        pass.listing(dir_stamp(), &names());
        assert!(pass.known(b"a b.yaml", &file(NOW - 60)).is_some());
        assert!(pass.known("é%.yml".as_bytes(), &file(NOW - 3600)).is_some());
        pass.learned("é%.yml".as_bytes(), file(NOW - 3600), tools(&["a", "b"]));
        assert_eq!(pass.finish(), None);
    }

    #[test]
    fn a_changed_or_missing_file_is_dropped_or_replaced() {
        let index = sample();
        let mut pass = index.update(NOW, EUID);
        pass.listing(dir_stamp(), &names()[..1]);
        let edited = file(NOW - 30);
        assert_eq!(pass.known(b"a b.yaml", &edited), None);
        pass.learned(b"a b.yaml", edited, tools(&["railway"]));
        let new = pass.finish().unwrap();
        assert_eq!(
            known(&new, b"a b.yaml", &edited, EUID),
            Some(tools(&["railway"]))
        );
        assert_eq!(known(&new, b"a b.yaml", &file(NOW - 60), EUID), None);
        assert_eq!(
            known(&new, "é%.yml".as_bytes(), &file(NOW - 3600), EUID),
            None
        );
        assert_eq!(new.listing(&dir_stamp(), EUID), Some(&names()[..1]));
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
            assert_eq!(known(&index, b"a b.yaml", &stamp, EUID), None, "{stamp:?}");
        }
        assert_eq!(known(&index, b"missing.yaml", &same, EUID), None);
        let dir = Stamp {
            mtime: (NOW - 1, 0),
            ..dir_stamp()
        };
        assert_eq!(index.listing(&dir, EUID), None);
    }

    #[test]
    fn a_file_changed_within_the_timestamp_granularity_is_not_indexed() {
        let empty = Index::new(b"/d");
        let mut pass = empty.update(NOW, EUID);
        pass.learned(b"new.yaml", file(NOW - SETTLE_SECS), tools(&["x"]));
        let future = Stamp {
            mtime: (NOW + 100, 0),
            ..file(NOW - 3600)
        };
        pass.learned(b"future.yaml", future, tools(&["x"]));
        let dir = Stamp {
            ctime: (NOW - 1, 0),
            ..dir_stamp()
        };
        pass.listing(dir, &[b"new.yaml".to_vec()]);
        assert_eq!(pass.finish(), None);
        let mut pass = empty.update(NOW, EUID);
        pass.learned(b"old.yaml", file(NOW - SETTLE_SECS - 1), tools(&["x"]));
        assert!(pass.finish().is_some());
    }

    #[test]
    fn the_index_vouches_only_for_what_the_user_owns() {
        let empty = Index::new(b"/d");
        let mut pass = empty.update(NOW, EUID);
        let roots = Stamp {
            uid: 0,
            ..file(NOW - 60)
        };
        pass.learned(b"root.yaml", roots, tools(&["x"]));
        let root_dir = Stamp {
            uid: 0,
            ..dir_stamp()
        };
        pass.listing(root_dir, &[]);
        let fifo = Stamp {
            mode: 0o010644,
            ..file(NOW - 60)
        };
        pass.learned(b"fifo.yaml", fifo, tools(&["x"]));
        pass.learned(b"../up.yaml", file(NOW - 60), tools(&["x"]));
        assert_eq!(pass.finish(), None);
        // And an entry written for one user is not trusted for another.
        let index = sample();
        assert_eq!(known(&index, b"a b.yaml", &file(NOW - 60), 0), None);
        assert_eq!(index.listing(&dir_stamp(), 0), None);
    }

    #[test]
    fn a_torn_corrupt_or_foreign_index_is_empty() {
        let text = sample().render();
        for cut in 0..text.len() {
            let index = Index::parse(&text[..cut], DIR);
            assert_eq!(index, Index::new(DIR), "cut at {cut}");
        }
        let mut bad = text.clone();
        let at = bad.windows(5).position(|w| w == b"file ").unwrap() + 5;
        bad[at] = b'x';
        assert_eq!(Index::parse(&bad, DIR), Index::new(DIR));
        assert_eq!(
            Index::parse(&text, b"/elsewhere"),
            Index::new(b"/elsewhere")
        );
        let slash = String::from_utf8(text.clone())
            .unwrap()
            .replace("name a%20b.yaml", "name ..%2Fx.yaml");
        assert_eq!(Index::parse(slash.as_bytes(), DIR), Index::new(DIR));
    }

    #[test]
    fn an_oversized_index_is_not_read_through() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("rules-index");
        let big = |files: usize| Index {
            dir: DIR.to_vec(),
            listing: None,
            files: (0..files)
                .map(|i| Entry {
                    name: format!("file-{i}.yaml").into_bytes(),
                    stamp: file(NOW - 60),
                    tools: tools(&["other"]),
                })
                .collect(),
        };
        let fits = big(100);
        fits.write(&path).unwrap();
        assert_eq!(Index::read(&path, DIR), fits);
        // A well-formed index, just past the limit.
        let files = MAX_INDEX_BYTES as usize / fits.render().len() * 100 + 100;
        let oversized = big(files);
        assert!(oversized.render().len() as u64 > MAX_INDEX_BYTES);
        oversized.write(&path).unwrap();
        assert_eq!(Index::parse(&std::fs::read(&path).unwrap(), DIR), oversized);
        assert_eq!(Index::read(&path, DIR), Index::new(DIR));
    }

    #[test]
    fn numbers_parse_exactly() {
        let mut t = Tokens(b"0 -1700000000.5 18446744073709551615");
        assert_eq!(t.uint(b' '), Some(0));
        assert_eq!(t.int(b'.'), Some(-1_700_000_000));
        assert_eq!(t.int(b' '), Some(5));
        assert_eq!(t.uint(b' '), Some(u64::MAX));
        assert_eq!(t.next(), None);
        for bad in [&b""[..], b"-", b"1x", b"+1", b" 1", b"18446744073709551616"] {
            assert_eq!(Tokens(bad).uint(b' '), None, "{bad:?}");
            assert_eq!(Tokens(bad).int(b' '), None, "{bad:?}");
        }
        assert_eq!(Tokens(b"9223372036854775808").int(b' '), None);
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
