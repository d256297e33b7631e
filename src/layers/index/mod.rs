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

mod format;

pub use format::Tools;
use format::{FileLine, Span, Store};
use nix::sys::stat::FileStat;
use std::path::Path;

/// How old a timestamp must be before an entry relies on it. Above the granularity of any
/// filesystem's timestamps (FAT's are 2 s; most are a kernel tick).
const SETTLE_SECS: i64 = 3;

/// The largest index a call reads (`Index::read`).
const MAX_INDEX_BYTES: u64 = 1 << 20;

/// What stat says of a file or directory: every field a change to it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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

    /// Whether a cache may record something read at this stat: a regular file of the user's
    /// own (`euid`), settled (`settled`) at `now`.
    pub fn vouchable(&self, now: i64, euid: u32) -> bool {
        self.is_regular_file() && self.uid == euid && self.settled(now)
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

    fn parse(tokens: &mut format::Tokens<'_>) -> Option<Stamp> {
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

/// One directory's index: its listing (while the directory is unchanged) and its files'
/// tools. Parsed, it keeps the index's text and points into it: a shim call reads it on
/// every call, and copying each name and tool out cost more than the stats it saves.
#[derive(Debug, Clone)]
pub struct Index {
    store: Store,
    dir: Vec<u8>,
    listing: Option<(Stamp, Vec<Span>)>,
    files: Vec<FileLine>,
}

impl PartialEq for Index {
    fn eq(&self, other: &Index) -> bool {
        fn listing(i: &Index) -> Option<(Stamp, Vec<&[u8]>)> {
            i.listing.as_ref().map(|(s, n)| (*s, i.names(n)))
        }
        fn files(i: &Index) -> Vec<(&[u8], Stamp, Vec<String>)> {
            i.files
                .iter()
                .map(|f| (i.store.get(&f.name), f.stamp, i.tools(f).to_vec()))
                .collect()
        }
        self.dir == other.dir && listing(self) == listing(other) && files(self) == files(other)
    }
}

impl Index {
    /// An empty index for `dir`.
    pub fn new(dir: &[u8]) -> Index {
        Index {
            store: Store::default(),
            dir: dir.to_vec(),
            listing: None,
            files: Vec::new(),
        }
    }

    fn names(&self, spans: &[Span]) -> Vec<&[u8]> {
        spans.iter().map(|n| self.store.get(n)).collect()
    }

    fn tools(&self, file: &FileLine) -> Tools<'_> {
        Tools(&self.store.text[file.tools.clone()])
    }

    /// The rule file names in the directory, if it is unchanged since they were listed.
    pub fn listing(&self, dir: &Stamp, euid: u32) -> Option<Vec<&[u8]>> {
        let (stamp, names) = self.listing.as_ref()?;
        (stamp == dir && dir.uid == euid).then(|| self.names(names))
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
        self.files
            .iter()
            .position(|f| self.store.get(&f.name) == name)
    }

    /// The index in `text`, if it is whole and for `dir`; else an empty one.
    pub fn parse(text: Vec<u8>, dir: &[u8]) -> Index {
        match format::parse(&text) {
            Some(parsed) if parsed.dir == dir => Index {
                dir: parsed.dir,
                listing: parsed.listing,
                files: parsed.files,
                store: Store {
                    text,
                    decoded: parsed.decoded,
                },
            },
            _ => Index::new(dir),
        }
    }

    pub fn render(&self) -> Vec<u8> {
        let mut out = Render::start(&self.dir);
        if let Some((stamp, names)) = &self.listing {
            out.listing(stamp, self.names(names));
        }
        for f in &self.files {
            out.file(
                self.store.get(&f.name),
                &f.stamp,
                ToolsOut::Raw(self.tools(f).raw()),
            );
        }
        out.finish()
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
            Ok(n) if n as u64 <= MAX_INDEX_BYTES => Index::parse(text, dir),
            _ => Index::new(dir),
        }
    }

    /// Replace the index at `path` (mode 0600): written beside it, then renamed over it, so a
    /// reader sees the old index or the new one. Not synced: a lost index is only rebuilt.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        crate::state::write_cache(path, &self.render())
    }
}

/// The tools of a `file` line to render: as the old index wrote them, or learned.
enum ToolsOut<'a> {
    Raw(&'a [u8]),
    Names(&'a [String]),
}

/// The text of an index, line by line.
struct Render(Vec<u8>);

impl Render {
    fn start(dir: &[u8]) -> Render {
        let mut out = format::HEADER.to_vec();
        out.extend_from_slice(b"\ndir ");
        format::escape(dir, &mut out);
        out.push(b'\n');
        Render(out)
    }

    fn listing<'n>(&mut self, stamp: &Stamp, names: impl IntoIterator<Item = &'n [u8]>) {
        self.0.extend_from_slice(b"listing ");
        stamp.render(&mut self.0);
        self.0.push(b'\n');
        for name in names {
            self.0.extend_from_slice(b"name ");
            format::escape(name, &mut self.0);
            self.0.push(b'\n');
        }
    }

    fn file(&mut self, name: &[u8], stamp: &Stamp, tools: ToolsOut<'_>) {
        self.0.extend_from_slice(b"file ");
        stamp.render(&mut self.0);
        self.0.push(b' ');
        format::escape(name, &mut self.0);
        match tools {
            ToolsOut::Raw(raw) if !raw.is_empty() => {
                self.0.push(b' ');
                self.0.extend_from_slice(raw);
            }
            ToolsOut::Raw(_) => {}
            ToolsOut::Names(names) => {
                for tool in names {
                    self.0.push(b' ');
                    format::escape(tool.as_bytes(), &mut self.0);
                }
            }
        }
        self.0.push(b'\n');
    }

    fn finish(mut self) -> Vec<u8> {
        let end = format!("end {}\n", self.0.len());
        self.0.extend_from_slice(end.as_bytes());
        self.0
    }
}

/// A file's entry learned by reading it.
struct Learned {
    name: Vec<u8>,
    stamp: Stamp,
    tools: Vec<String>,
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
    fresh: Vec<Learned>,
}

impl<'a> Update<'a> {
    /// The directory's stat and the rule file names in it.
    pub fn listing(&mut self, dir: Stamp, names: &[&[u8]]) {
        let store = &self.old.store;
        let indexed = |(stamp, old): &(Stamp, Vec<Span>)| {
            *stamp == dir
                && old.len() == names.len()
                && old.iter().zip(names).all(|(o, n)| store.get(o) == *n)
        };
        self.listing = if !(dir.is_dir() && self.vouches_for(&dir)) {
            Seen::Unvouched
        } else if self.old.listing.as_ref().is_some_and(indexed) {
            Seen::AsIndexed
        } else {
            Seen::New((dir, names.iter().map(|n| n.to_vec()).collect()))
        };
    }

    /// The tools of the file `name`, if the index has it with this very stat; `None` means
    /// read the file.
    pub fn known(&mut self, name: &[u8], stamp: &Stamp) -> Option<Tools<'a>> {
        let i = self.matching(name, stamp)?;
        self.kept[i] = true;
        Some(self.old.tools(&self.old.files[i]))
    }

    /// The tools read from the file `name`, whose stat before the read was `stamp`.
    pub fn learned(&mut self, name: &[u8], stamp: Stamp, tools: Vec<String>) {
        if let Some(i) = self.matching(name, &stamp) {
            // `known` kept it by its stat; the read has the last word on its tools.
            self.kept[i] = self.old.tools(&self.old.files[i]).equals(&tools);
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
            self.fresh.push(Learned {
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
        let old = self.old;
        let mut out = Render::start(&old.dir);
        match &self.listing {
            Seen::AsIndexed => {
                if let Some((stamp, names)) = &old.listing {
                    out.listing(stamp, old.names(names));
                }
            }
            Seen::Unvouched => {}
            Seen::New((stamp, names)) => out.listing(stamp, names.iter().map(Vec::as_slice)),
        }
        for (f, _) in old.files.iter().zip(&self.kept).filter(|(_, k)| **k) {
            out.file(
                old.store.get(&f.name),
                &f.stamp,
                ToolsOut::Raw(old.tools(f).raw()),
            );
        }
        for e in &self.fresh {
            out.file(&e.name, &e.stamp, ToolsOut::Names(&e.tools));
        }
        Some(Index::parse(out.finish(), &old.dir))
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

    fn names() -> Vec<&'static [u8]> {
        vec![b"a b.yaml", "é%.yml".as_bytes()]
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
            .map(|t| t.to_vec())
    }

    #[test]
    fn an_index_reads_back_as_written() {
        let index = sample();
        let text = index.render();
        assert_eq!(Index::parse(text.clone(), DIR), index);
        assert_eq!(
            known(&index, b"a b.yaml", &file(NOW - 60), EUID),
            Some(tools(&["other"]))
        );
        assert_eq!(
            index.listing(&dir_stamp(), EUID).map(|l| l.len()),
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
        assert!(pass.known(b"a b.yaml", &edited).is_none());
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
        assert_eq!(new.listing(&dir_stamp(), EUID), Some(names()[..1].to_vec()));
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
        pass.listing(dir, &[b"new.yaml"]);
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
            let index = Index::parse(text[..cut].to_vec(), DIR);
            assert_eq!(index, Index::new(DIR), "cut at {cut}");
        }
        let mut bad = text.clone();
        let at = bad.windows(5).position(|w| w == b"file ").unwrap() + 5;
        bad[at] = b'x';
        assert_eq!(Index::parse(bad, DIR), Index::new(DIR));
        assert_eq!(
            Index::parse(text.clone(), b"/elsewhere"),
            Index::new(b"/elsewhere")
        );
        let slash = String::from_utf8(text.clone())
            .unwrap()
            .replace("name a%20b.yaml", "name ..%2Fx.yaml");
        assert_eq!(Index::parse(slash.into_bytes(), DIR), Index::new(DIR));
    }

    #[test]
    fn an_oversized_index_is_not_read_through() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("rules-index");
        let big = |files: usize| {
            let mut out = Render::start(DIR);
            for i in 0..files {
                let name = format!("file-{i}.yaml");
                out.file(
                    name.as_bytes(),
                    &file(NOW - 60),
                    ToolsOut::Names(&tools(&["other"])),
                );
            }
            Index::parse(out.finish(), DIR)
        };
        let fits = big(100);
        fits.write(&path).unwrap();
        assert_eq!(Index::read(&path, DIR), fits);
        // A well-formed index, just past the limit.
        let files = MAX_INDEX_BYTES as usize / fits.render().len() * 100 + 100;
        let oversized = big(files);
        assert!(oversized.render().len() as u64 > MAX_INDEX_BYTES);
        oversized.write(&path).unwrap();
        assert_eq!(Index::parse(std::fs::read(&path).unwrap(), DIR), oversized);
        assert_eq!(Index::read(&path, DIR), Index::new(DIR));
    }
}
