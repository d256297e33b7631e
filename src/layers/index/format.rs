//! The index's text: `guard rules index 1`, then one line per fact, tokens separated by one
//! space, names and tools `%XX`-escaped so that a token never holds a space or a newline,
//! and `end N` last, N the length of everything before that line (a torn or truncated
//! write is never half-trusted). Read without copying: a parsed index keeps the text and
//! points into it.

use super::Stamp;
use std::ops::Range;

pub(super) const HEADER: &[u8] = b"guard rules index 1";

/// A name's or tool's bytes in a parsed index: a plain token of its text, or, for one
/// that was `%XX`-escaped, its decoded copy.
#[derive(Debug, Clone)]
pub(super) enum Span {
    Text(Range<usize>),
    Decoded(Range<usize>),
}

/// The text and what was decoded from it, which `Span`s point into.
#[derive(Debug, Clone, Default)]
pub(super) struct Store {
    pub text: Vec<u8>,
    pub decoded: Vec<u8>,
}

impl Store {
    pub fn get(&self, span: &Span) -> &[u8] {
        bytes(&self.text, &self.decoded, span)
    }
}

/// One `file` line: a rule file's name, its stat, and its tools' tokens as written.
#[derive(Debug, Clone)]
pub(super) struct FileLine {
    pub name: Span,
    pub stamp: Stamp,
    /// The space-separated, escaped tool tokens at the end of the line (`Tools`).
    pub tools: Range<usize>,
}

/// The lines of an index, parsed; `None` for any text that is not a whole, well-formed index.
pub(super) struct Parsed {
    pub dir: Vec<u8>,
    pub listing: Option<(Stamp, Vec<Span>)>,
    pub files: Vec<FileLine>,
    pub decoded: Vec<u8>,
}

pub(super) fn parse(text: &[u8]) -> Option<Parsed> {
    let body = whole(text)?;
    let mut lines = text[..body].split(|&b| b == b'\n');
    if lines.next()? != HEADER {
        return None;
    }
    let dir = unescape(lines.next()?.strip_prefix(b"dir ")?)?;
    let mut parsed = Parsed {
        dir,
        listing: None,
        files: Vec::new(),
        decoded: Vec::new(),
    };
    for line in lines {
        let mut tokens = Tokens(line);
        match tokens.next()? {
            b"listing" if parsed.listing.is_none() && parsed.files.is_empty() => {
                let stamp = Stamp::parse(&mut tokens)?;
                tokens.next().is_none().then_some(())?;
                parsed.listing = Some((stamp, Vec::new()));
            }
            b"name" => {
                let name = span(text, tokens.next()?, &mut parsed.decoded)?;
                tokens.next().is_none().then_some(())?;
                super::valid_name(bytes(text, &parsed.decoded, &name)).then_some(())?;
                parsed.listing.as_mut()?.1.push(name);
            }
            b"file" => {
                let stamp = Stamp::parse(&mut tokens)?;
                let token = tokens.next()?;
                let name = span(text, token, &mut parsed.decoded)?;
                super::valid_name(bytes(text, &parsed.decoded, &name)).then_some(())?;
                let line_end = offset(text, line) + line.len();
                let tools_start = (offset(text, token) + token.len() + 1).min(line_end);
                for tool in tokens {
                    valid_tool(tool).then_some(())?;
                }
                parsed.files.push(FileLine {
                    name,
                    stamp,
                    tools: tools_start..line_end,
                });
            }
            _ => return None,
        }
    }
    Some(parsed)
}

/// The length of the body of `text` if it ends with `end N`, N that length.
fn whole(text: &[u8]) -> Option<usize> {
    let text = text.strip_suffix(b"\n")?;
    let end = text.iter().rposition(|&b| b == b'\n')? + 1;
    let len: usize = std::str::from_utf8(text[end..].strip_prefix(b"end ")?)
        .ok()?
        .parse()
        .ok()?;
    (len == end && text[..end].ends_with(b"\n")).then_some(end - 1)
}

fn bytes<'t>(text: &'t [u8], decoded: &'t [u8], span: &Span) -> &'t [u8] {
    match span {
        Span::Text(r) => &text[r.clone()],
        Span::Decoded(r) => &decoded[r.clone()],
    }
}

/// Where `part`, a slice of `text` that is not empty, starts in it.
fn offset(text: &[u8], part: &[u8]) -> usize {
    part.as_ptr() as usize - text.as_ptr() as usize
}

/// The token as a span: of the text itself when it is plain, else of its decoded copy.
fn span(text: &[u8], token: &[u8], decoded: &mut Vec<u8>) -> Option<Span> {
    if plain(token) {
        let start = offset(text, token);
        return Some(Span::Text(start..start + token.len()));
    }
    let bytes = unescape(token)?;
    let start = decoded.len();
    decoded.extend_from_slice(&bytes);
    Some(Span::Decoded(start..decoded.len()))
}

/// A token that stands for itself: printable ASCII, no `%`.
fn plain(token: &[u8]) -> bool {
    !token.is_empty() && token.iter().all(|&b| b.is_ascii_graphic() && b != b'%')
}

/// A tool token: some UTF-8 text, escaped.
fn valid_tool(token: &[u8]) -> bool {
    plain(token) || unescape(token).is_some_and(|t| std::str::from_utf8(&t).is_ok())
}

/// Whether the token stands for `tool`; a plain one is compared without decoding it.
fn token_is(token: &[u8], tool: &str) -> bool {
    if plain(token) {
        token == tool.as_bytes()
    } else {
        unescape(token).is_some_and(|t| t == tool.as_bytes())
    }
}

/// The tool tokens of a `file` line.
#[derive(Debug, Clone, Copy)]
pub struct Tools<'a>(pub(super) &'a [u8]);

impl<'a> Tools<'a> {
    /// Whether `tool` is one of them.
    pub fn contains(&self, tool: &str) -> bool {
        Tokens(self.0).any(|t| token_is(t, tool))
    }

    /// Whether they are exactly `tools`, in order.
    pub fn equals(&self, tools: &[String]) -> bool {
        let mut mine = Tokens(self.0);
        tools
            .iter()
            .all(|t| mine.next().is_some_and(|m| token_is(m, t)))
            && mine.next().is_none()
    }

    pub fn to_vec(&self) -> Vec<String> {
        Tokens(self.0)
            .filter_map(|t| String::from_utf8(unescape(t)?).ok())
            .collect()
    }

    /// As written in the index: escaped and space-separated.
    pub(super) fn raw(&self) -> &'a [u8] {
        self.0
    }
}

/// One line of the index, read token by token (tokens are separated by one space).
pub(super) struct Tokens<'a>(pub &'a [u8]);

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
    pub fn uint(&mut self, delim: u8) -> Option<u64> {
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
    pub fn int(&mut self, delim: u8) -> Option<i64> {
        match self.0.strip_prefix(b"-") {
            Some(rest) => {
                self.0 = rest;
                i64::try_from(self.uint(delim)?).ok()?.checked_neg()
            }
            None => i64::try_from(self.uint(delim)?).ok(),
        }
    }
}

/// Bytes as one space-free token: printable ASCII stays, anything else (and `%`) is `%XX`.
pub(super) fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        if b.is_ascii_graphic() && b != b'%' {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        }
    }
}

pub(super) fn unescape(token: &[u8]) -> Option<Vec<u8>> {
    if plain(token) {
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

    #[test]
    fn tools_compare_by_their_decoded_names() {
        let tools = Tools(b"railway k%75bectl %C3%A9");
        assert!(tools.contains("railway") && tools.contains("kubectl") && tools.contains("é"));
        assert!(!tools.contains("rail") && !tools.contains("k%75bectl"));
        let names = |l: &[&str]| l.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert!(tools.equals(&names(&["railway", "kubectl", "é"])));
        assert!(!tools.equals(&names(&["railway", "kubectl"])));
        assert!(!tools.equals(&names(&["railway", "kubectl", "é", "x"])));
        assert_eq!(tools.to_vec(), names(&["railway", "kubectl", "é"]));
        assert!(Tools(b"").equals(&[]));
    }
}
