//! What a command would send or run, beyond its words: the request body curl or wget would
//! send and the SQL psql or mysql would execute. Extraction is pure; anything outside the
//! command line (files, stdin) is reached only through `Inputs`, which the edge provides.

use super::command::CommandLine;
use super::model::{PathKind, SqlDialect};
use std::borrow::Cow;

/// Flag names: borrowed from a bundled pack's statics, owned once packs are merged.
pub type FlagList = Cow<'static, [&'static [u8]]>;

/// Per tool: which flags carry the body and the SQL (merged from every pack naming the tool).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentSpec {
    pub payload_data: FlagList,
    pub payload_raw: FlagList,
    pub payload_urlencode: FlagList,
    pub payload_file: FlagList,
    pub sql_text: FlagList,
    pub sql_file: FlagList,
    pub sql_positional: bool,
    pub dialect: SqlDialect,
}

impl Default for ContentSpec {
    fn default() -> Self {
        ContentSpec::NONE
    }
}

impl ContentSpec {
    /// Nothing: no flag carries content.
    pub const NONE: ContentSpec = ContentSpec {
        payload_data: Cow::Borrowed(&[]),
        payload_raw: Cow::Borrowed(&[]),
        payload_urlencode: Cow::Borrowed(&[]),
        payload_file: Cow::Borrowed(&[]),
        sql_text: Cow::Borrowed(&[]),
        sql_file: Cow::Borrowed(&[]),
        sql_positional: false,
        dialect: SqlDialect::Generic,
    };

    pub fn merge(&mut self, other: &ContentSpec) {
        // Most tools have one pack: then the lists stay borrowed and nothing is copied.
        fn join(mine: &mut FlagList, theirs: &FlagList) {
            if mine.is_empty() {
                *mine = theirs.clone();
            } else if !theirs.is_empty() {
                mine.to_mut().extend(theirs.iter().copied());
            }
        }
        join(&mut self.payload_data, &other.payload_data);
        join(&mut self.payload_raw, &other.payload_raw);
        join(&mut self.payload_urlencode, &other.payload_urlencode);
        join(&mut self.payload_file, &other.payload_file);
        join(&mut self.sql_text, &other.sql_text);
        join(&mut self.sql_file, &other.sql_file);
        self.sql_positional |= other.sql_positional;
        if self.dialect == SqlDialect::Generic {
            self.dialect = other.dialect;
        }
    }

    /// Every flag that carries content takes a value.
    pub fn flags(&self) -> impl Iterator<Item = &'static [u8]> + '_ {
        [
            &self.payload_data,
            &self.payload_raw,
            &self.payload_urlencode,
            &self.payload_file,
            &self.sql_text,
            &self.sql_file,
        ]
        .into_iter()
        .flat_map(|list| list.iter().copied())
    }
}

/// Files a largest request body or SQL file guard reads; a bigger one cannot be inspected.
pub const MAX_CONTENT: u64 = 1 << 20;

/// The world outside the command line, as content matchers need it.
pub trait Inputs {
    /// The contents of a file the command names (relative to the current directory).
    fn read_file(&self, path: &[u8]) -> Result<Vec<u8>, String>;
    /// Stdin is a pipe or a regular file: input that guard cannot see.
    fn stdin_is_piped(&self) -> bool;
    /// What a path argument resolves to.
    fn path_kinds(&self, path: &[u8]) -> Vec<PathKind>;
}

/// No files, stdin a terminal, paths unresolved: for commands with no world around them.
pub struct NoInputs;

impl Inputs for NoInputs {
    fn read_file(&self, _: &[u8]) -> Result<Vec<u8>, String> {
        Err("no files are readable here".into())
    }
    fn stdin_is_piped(&self) -> bool {
        false
    }
    fn path_kinds(&self, _: &[u8]) -> Vec<PathKind> {
        Vec::new()
    }
}

/// Content gathered from a command line: the readable parts, and why others could not be read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Content {
    pub parts: Vec<Vec<u8>>,
    pub unreadable: Vec<String>,
}

impl Content {
    fn file(&mut self, inputs: &dyn Inputs, path: &[u8]) {
        if path == b"-" {
            self.unreadable.push("it is read from stdin".into());
            return;
        }
        match inputs.read_file(path) {
            Ok(bytes) => self.parts.push(bytes),
            Err(e) => self
                .unreadable
                .push(format!("{}: {e}", String::from_utf8_lossy(path))),
        }
    }

    pub fn joined(&self) -> Vec<u8> {
        self.parts.join(&b'\n')
    }
}

fn values<'a>(cl: &'a CommandLine, names: &'a [&[u8]]) -> impl Iterator<Item = &'a [u8]> {
    cl.flags
        .iter()
        .filter(move |f| names.contains(&f.name))
        .filter_map(|f| f.value)
}

/// The request body, as curl (`-d @file`, `--data-urlencode name@file`) or wget would send it.
pub fn payload(cl: &CommandLine, spec: &ContentSpec, inputs: &dyn Inputs) -> Content {
    let mut c = Content::default();
    for v in values(cl, &spec.payload_data) {
        match v.strip_prefix(b"@") {
            Some(path) => c.file(inputs, path),
            None => c.parts.push(v.to_vec()),
        }
    }
    for v in values(cl, &spec.payload_raw) {
        c.parts.push(v.to_vec());
    }
    for v in values(cl, &spec.payload_file) {
        c.file(inputs, v);
    }
    for v in values(cl, &spec.payload_urlencode) {
        // curl: the first `=` or `@` decides; `@` means the rest names a file.
        match v.iter().position(|&b| b == b'=' || b == b'@') {
            Some(i) if v[i] == b'@' => c.file(inputs, &v[i + 1..]),
            Some(i) => c.parts.push(v[i + 1..].to_vec()),
            None => c.parts.push(v.to_vec()),
        }
    }
    c
}

/// The SQL the command would run: `-c`-style text and `-f`-style files.
pub fn sql(cl: &CommandLine, spec: &ContentSpec, inputs: &dyn Inputs) -> Content {
    let mut c = Content::default();
    for v in values(cl, &spec.sql_text) {
        c.parts.push(v.to_vec());
    }
    for v in values(cl, &spec.sql_file) {
        c.file(inputs, v);
    }
    if spec.sql_positional {
        c.parts.extend(cl.words.iter().map(|w| w.to_vec()));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    struct Files;
    impl Inputs for Files {
        fn read_file(&self, path: &[u8]) -> Result<Vec<u8>, String> {
            match path {
                b"body.json" => Ok(b"{\"query\":\"mutation{volumeDelete}\"}".to_vec()),
                _ => Err("No such file".into()),
            }
        }
        fn stdin_is_piped(&self) -> bool {
            false
        }
        fn path_kinds(&self, _: &[u8]) -> Vec<PathKind> {
            Vec::new()
        }
    }

    fn curl() -> ContentSpec {
        ContentSpec {
            payload_data: Cow::Borrowed(&[b"-d", b"--data"]),
            payload_raw: Cow::Borrowed(&[b"--data-raw"]),
            payload_urlencode: Cow::Borrowed(&[b"--data-urlencode"]),
            ..Default::default()
        }
    }

    fn content(
        line: &[&str],
        f: fn(&CommandLine, &ContentSpec, &dyn Inputs) -> Content,
        spec: &ContentSpec,
    ) -> Content {
        let args: Vec<OsString> = line.iter().map(OsString::from).collect();
        let flags: Vec<&[u8]> = spec.flags().collect();
        let cl = CommandLine::parse(&args, &flags, &[]);
        f(&cl, spec, &Files)
    }

    #[test]
    fn curl_bodies_come_from_every_data_flag_and_follow_at_files() {
        let c = content(
            &[
                "-d",
                "a=1",
                "--data=@body.json",
                "--data-raw",
                "@literal",
                "https://x",
            ],
            payload,
            &curl(),
        );
        assert_eq!(c.parts[0], b"a=1");
        assert!(c.parts[1].starts_with(b"{\"query\""));
        assert_eq!(c.parts[2], b"@literal");
        assert!(c.unreadable.is_empty());
    }

    #[test]
    fn stdin_and_missing_files_are_unreadable() {
        let c = content(&["-d", "@-", "-d", "@nope.json"], payload, &curl());
        assert_eq!(c.unreadable.len(), 2);
        assert!(c.unreadable[0].contains("stdin"));
    }

    #[test]
    fn urlencode_forms_split_like_curl() {
        let c = content(
            &[
                "--data-urlencode",
                "q=drop",
                "--data-urlencode",
                "f@body.json",
                "--data-urlencode",
                "=x=y",
            ],
            payload,
            &curl(),
        );
        assert_eq!(c.parts[0], b"drop");
        assert!(c.parts[1].starts_with(b"{"));
        assert_eq!(c.parts[2], b"x=y");
    }

    #[test]
    fn sql_comes_from_text_and_file_flags() {
        let spec = ContentSpec {
            sql_text: Cow::Borrowed(&[b"-c"]),
            sql_file: Cow::Borrowed(&[b"-f"]),
            ..Default::default()
        };
        let c = content(&["-c", "DROP TABLE t", "-f", "-", "db"], sql, &spec);
        assert_eq!(c.parts, vec![b"DROP TABLE t".to_vec()]);
        assert_eq!(c.unreadable.len(), 1);
    }
}
