//! Deciding "no match" without compiling a regex.
//!
//! Compiling one of the packs' regexes costs 0.02–2.5 ms (Unicode case folding and classes,
//! the meta engine's automata): up to more than the rest of a shim call. Most calls cannot match most
//! patterns, and a pattern's literals say so: every match of
//! `(?i)^(https?://)?backboard\.railway\.(app|com)(:\d+)?/graphql` ends with one of the case
//! variants of `/graphql`. The literals are found once, from the parsed pattern, and a
//! haystack that contains none of them is no match; anything else goes to the real regex.
//!
//! Case variants are compared through `fold`, which maps every variant of an ASCII letter
//! (including Unicode's `ſ` for `s` and the Kelvin sign for `k`) to its lower case, so
//! `/GraphQL` and `/graphql` are one literal, not 128.

use std::borrow::Cow;

/// The shortest literal worth checking: one character is in nearly every argument, while
/// `-h` already rules out most command lines for `(^| )(-h|--help)( |$)` (a 0.2 ms compile).
const MIN_LEN: usize = 2;
/// Checking costs a pass over the haystack per literal.
const MAX_LITERALS: usize = 16;

/// ASCII letters to lower case, `ſ` (U+017F) to `s`, `K` (U+212A) to `k`: the only other
/// characters Unicode case folding makes equal to ASCII letters. Every other byte is kept.
///
/// A literal that is valid UTF-8 starts and ends on character boundaries, so if a haystack
/// contains it, the folded haystack contains the folded literal (no rewritten sequence can
/// straddle its ends).
pub fn fold(bytes: &[u8]) -> Cow<'_, [u8]> {
    let special = |b: &u8| b.is_ascii_uppercase() || *b == 0xC5 || *b == 0xE2;
    if !bytes.iter().any(special) {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match &bytes[i..] {
            [0xC5, 0xBF, ..] => {
                out.push(b's');
                i += 2;
            }
            [0xE2, 0x84, 0xAA, ..] => {
                out.push(b'k');
                i += 3;
            }
            [b, ..] => {
                out.push(b.to_ascii_lowercase());
                i += 1;
            }
            [] => unreachable!("i < len"),
        }
    }
    Cow::Owned(out)
}

/// What every match of a pattern contains, folded: one of `any_of`, at the start of the
/// haystack when `at_start` (the pattern begins with `^`), anywhere otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Required<L> {
    pub at_start: bool,
    pub any_of: L,
}

impl<L> Required<L> {
    /// False only if no match of the pattern can be in `haystack`.
    pub fn may_match<B: AsRef<[u8]>>(&self, haystack: &[u8]) -> bool
    where
        L: AsRef<[B]>,
    {
        let folded = fold(haystack);
        let mut lits = self.any_of.as_ref().iter().map(AsRef::as_ref);
        if self.at_start {
            lits.any(|l| folded.starts_with(l))
        } else {
            lits.any(|l| contains(&folded, l))
        }
    }
}

/// `pattern` parsed as `regex::bytes` parses it: Unicode on, matches need not be UTF-8.
/// Everything `Regex::new` rejects except patterns too large to compile.
pub fn parse(pattern: &str) -> Result<regex_syntax::hir::Hir, Box<regex_syntax::Error>> {
    regex_syntax::ParserBuilder::new()
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(Box::new)
}

/// What every match of `pattern` must contain, or `None` when there is no short list of
/// literals (the pattern can match without one, or has too many). A pattern that does not
/// parse has none.
pub fn required_literals(pattern: &str) -> Option<Required<Vec<Vec<u8>>>> {
    required_of(&parse(pattern).ok()?)
}

/// `required_literals` of a parsed pattern.
pub fn required_of(hir: &regex_syntax::hir::Hir) -> Option<Required<Vec<Vec<u8>>>> {
    use regex_syntax::hir::Look;
    use regex_syntax::hir::literal::ExtractKind;
    let hir = folded(hir);
    let anywhere = required(&hir);
    // Anchored by `^`: every match starts the haystack, so even one character rules out most.
    let at_start = hir
        .properties()
        .look_set_prefix()
        .contains(Look::Start)
        .then(|| usable(extract(&hir, ExtractKind::Prefix)?, 1, <[u8]>::starts_with))
        .flatten();
    match (at_start, anywhere) {
        (Some(a), Some(b)) if a[0].len() < b[0].len() => Some(Required {
            at_start: false,
            any_of: b,
        }),
        (Some(a), _) => Some(Required {
            at_start: true,
            any_of: a,
        }),
        (None, b) => b.map(|any_of| Required {
            at_start: false,
            any_of,
        }),
    }
}

/// `hir` with its literals folded and each class whose members all fold to one character
/// (`(?i)k` is `[Kk\u{212A}]`) replaced by that character. Every match of `hir`, folded, is
/// matched by the result, so the result's literals are required of folded haystacks.
fn folded(hir: &regex_syntax::hir::Hir) -> regex_syntax::hir::Hir {
    use regex_syntax::hir::{Class, Hir, HirKind};
    match hir.kind() {
        HirKind::Literal(lit) => Hir::literal(fold(&lit.0).into_owned()),
        HirKind::Class(class) => {
            let mut members: Vec<Vec<u8>> = Vec::new();
            let small = match class {
                Class::Unicode(c) => c.ranges().iter().all(|r| {
                    (r.start()..=r.end()).take(5).for_each(|ch| {
                        members.push(fold(ch.encode_utf8(&mut [0; 4]).as_bytes()).into_owned())
                    });
                    members.len() <= 4
                }),
                Class::Bytes(c) => c.ranges().iter().all(|r| {
                    (r.start()..=r.end())
                        .take(5)
                        .for_each(|b| members.push(fold(&[b]).into_owned()));
                    members.len() <= 4
                }),
            };
            members.dedup();
            match members.as_slice() {
                // A byte class member may be a lone byte of a character: keep it a class.
                [one] if small && std::str::from_utf8(one).is_ok() => Hir::literal(one.clone()),
                _ => hir.clone(),
            }
        }
        HirKind::Repetition(rep) => Hir::repetition(rep.with(folded(&rep.sub))),
        HirKind::Capture(cap) => Hir::capture(regex_syntax::hir::Capture {
            index: cap.index,
            name: cap.name.clone(),
            sub: Box::new(folded(&cap.sub)),
        }),
        HirKind::Concat(subs) => Hir::concat(subs.iter().map(folded).collect()),
        HirKind::Alternation(subs) => Hir::alternation(subs.iter().map(folded).collect()),
        HirKind::Empty | HirKind::Look(_) => hir.clone(),
    }
}

/// The best literal list for `hir`: its prefixes, its suffixes, or (a match contains a match
/// of each part) the best of a concatenation's parts; an alternation needs one of each branch.
fn required(hir: &regex_syntax::hir::Hir) -> Option<Vec<Vec<u8>>> {
    use regex_syntax::hir::HirKind;
    use regex_syntax::hir::literal::ExtractKind;
    let ends = [ExtractKind::Prefix, ExtractKind::Suffix]
        .into_iter()
        .map(|kind| usable(extract(hir, kind)?, MIN_LEN, contains));
    let parts = match hir.kind() {
        HirKind::Concat(subs) => subs.iter().map(required).collect(),
        HirKind::Capture(cap) => vec![required(&cap.sub)],
        HirKind::Repetition(rep) if rep.min > 0 => vec![required(&rep.sub)],
        HirKind::Alternation(subs) => {
            let all: Option<Vec<Vec<Vec<u8>>>> = subs.iter().map(required).collect();
            vec![all.and_then(|all| usable(all.concat(), MIN_LEN, contains))]
        }
        _ => vec![],
    };
    ends.chain(parts).flatten().max_by_key(|lits| lits[0].len())
}

/// The literals every match of `hir` starts (or ends) with, if they are a finite list.
fn extract(
    hir: &regex_syntax::hir::Hir,
    kind: regex_syntax::hir::literal::ExtractKind,
) -> Option<Vec<Vec<u8>>> {
    let seq = regex_syntax::hir::literal::Extractor::new()
        .kind(kind)
        .limit_class(4)
        .limit_total(256)
        .extract(hir);
    Some(
        seq.literals()?
            .iter()
            .map(|l| l.as_bytes().to_vec())
            .collect(),
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// `lits`, minimised, if they are worth checking: valid UTF-8 (so `fold` keeps them whole),
/// at least `min_len` long, at most `MAX_LITERALS` of them. `implies(a, b)`: a haystack that
/// has `a` (in the way checked) has `b`, so only `b` need be kept.
fn usable(
    mut lits: Vec<Vec<u8>>,
    min_len: usize,
    implies: fn(&[u8], &[u8]) -> bool,
) -> Option<Vec<Vec<u8>>> {
    for l in &mut lits {
        std::str::from_utf8(l).ok()?;
        *l = fold(l).into_owned();
    }
    lits.sort_by_key(|l| l.len());
    let mut kept: Vec<Vec<u8>> = Vec::new();
    for l in lits {
        if !kept.iter().any(|k| implies(&l, k)) {
            kept.push(l);
        }
    }
    let shortest = kept.first().map_or(0, |l| l.len());
    (shortest >= min_len && kept.len() <= MAX_LITERALS).then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may(pattern: &str, haystack: &str) -> bool {
        required_literals(pattern).is_none_or(|r| r.may_match(haystack.as_bytes()))
    }

    fn anywhere(pattern: &str) -> Vec<Vec<u8>> {
        let r = required_literals(pattern).unwrap();
        assert!(!r.at_start, "{pattern}");
        r.any_of
    }

    #[test]
    fn case_variants_fold_to_one_literal() {
        assert_eq!(anywhere(r"(?i)/graphql\b"), vec![b"/graphql".to_vec()]);
        let railway = r"(?i)^(https?://)?backboard\.railway\.(app|com)(:\d+)?/graphql";
        let r = required_literals(railway).unwrap();
        assert!(r.at_start);
        assert!(r.any_of.iter().all(|l| l.len() >= 21), "{r:?}");
        assert!(may(railway, "HTTPS://Backboard.Railway.COM/GraphQL/v2"));
        assert!(!may(railway, "https://backboard.railway.com/"));
        assert!(may(r"(?i)/graphql", "https://x/GraphQL"));
        assert!(!may(r"(?i)/graphql", "https://example.com/"));
    }

    #[test]
    fn unicode_folds_of_ascii_letters_are_not_missed() {
        // (?i)s matches ſ and (?i)k matches the Kelvin sign: the check must let them through.
        let re = regex::bytes::Regex::new("(?i)desk").unwrap();
        for hay in ["DESK", "deſk", "des\u{212A}", "xxDeſ\u{212A}xx"] {
            assert!(re.is_match(hay.as_bytes()), "{hay}");
            assert!(may("(?i)desk", hay), "{hay}");
        }
        assert!(!may("(?i)desk", "des"));
    }

    #[test]
    fn patterns_that_can_match_without_a_literal_have_no_check() {
        for p in [r"\w+", r"(?i)^prod|^$", r".*", r"a", r"^\w"] {
            assert_eq!(required_literals(p), None, "{p}");
        }
    }

    #[test]
    fn anchored_patterns_check_the_start() {
        let r = required_literals(r"^\+.").unwrap();
        assert_eq!((r.at_start, r.any_of), (true, vec![b"+".to_vec()]));
        assert!(may(r"^\+.", "+refs/heads/main"));
        assert!(!may(r"^\+.", "main+1"));
        // Literals that start with another are implied by it.
        let r = required_literals(r"(?i)^del(ete)?$").unwrap();
        assert_eq!((r.at_start, r.any_of), (true, vec![b"del".to_vec()]));
        assert!(may(r"(?i)^del(ete)?$", "DELETE"));
    }

    #[test]
    fn alternatives_keep_one_literal_each() {
        let lits = anywhere(r"(?i)\b(drop|truncate)\b");
        assert_eq!(lits, vec![b"drop".to_vec(), b"truncate".to_vec()]);
        assert!(may(r"(?i)\b(drop|truncate)\b", "TRUNCATE x"));
        assert!(!may(r"(?i)\b(drop|truncate)\b", "select 1"));
        // Prefix or suffix, whichever is longer.
        let lits = anywhere(r"\b(drop|truncate)\s+table\b");
        assert_eq!(lits, vec![b"table".to_vec()]);
    }

    #[test]
    fn non_utf8_haystacks_fold_without_loss() {
        assert_eq!(
            fold(b"\xff\xC5A\xE2\x84"),
            Cow::<[u8]>::Owned(b"\xff\xC5a\xE2\x84".to_vec())
        );
        assert!(may("(?i)abc", "\u{fffd}ABC\u{fffd}"));
    }
}
