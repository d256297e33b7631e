//! What a command would send or run, beyond its words: the request body curl or wget would
//! send and the SQL psql or mysql would execute. Extraction is pure; anything outside the
//! command line (files, stdin) is reached only through `Inputs`, which the edge provides.

use super::command::CommandLine;
use super::compiled::ContentSpec;
use super::model::PathKind;

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
    /// What stdin will carry, where the command line shows it (a here-document, a
    /// here-string, a readable `< FILE`); `None` for a live call, whose stdin is not read.
    fn stdin_text(&self) -> Option<Vec<u8>> {
        None
    }
    /// Stdin is not the caller's terminal: piped, or carrying text the command line shows.
    fn stdin_is_redirected(&self) -> bool {
        self.stdin_is_piped() || self.stdin_text().is_some()
    }
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
    if spec.sql_stdin
        && let Some(text) = inputs.stdin_text()
    {
        c.parts.push(text);
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;
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
        let cl = CommandLine::parse(&args, &flags);
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
