//! Compiled rules: the data `compile` makes of a rule file and `matcher` evaluates; how each
//! type is written out as a static (`Emit`) for the bundled packs build.rs compiles; and as
//! bytes (serde, `Pack::to_bytes`) for the cache of compiled user rule files.
//!
//! A new kind of match is a new `Matcher` variant here (with its `Emit` arm), its key in
//! `model::MatchSpec`, its arm in `compile::Compiler::conditions` and in `Matcher::holds`.

use super::emit::{Emit, Emitter, slice};
use super::model::{Action, Challenge, PathKind, SqlClass, SqlDialect};
use regex::bytes::Regex;
use serde::{Deserialize, Deserializer, Serialize};
use std::borrow::Cow;
use std::sync::OnceLock;

/// A pattern's required literals as statics (`prefilter::Required`).
pub type Required = super::prefilter::Required<&'static [&'static [u8]]>;

/// Compiled rules are `'static`: the bundled packs are statics that build.rs generated (a shim
/// builds nothing at start-up), and rules read from files are leaked, since every rule lives
/// until the process execs the tool or exits anyway (`guard lint` and `guard rules` load each
/// file once), so nothing is lost by never freeing them.
pub fn leak<T>(items: Vec<T>) -> &'static [T] {
    items.leak()
}

pub fn leak_str(s: &str) -> &'static str {
    Box::leak(s.into())
}

/// serde `deserialize_with` for `&'static [T]`: decoded, then leaked like every compiled rule.
fn leak_slice<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<&'static [T], D::Error> {
    Vec::deserialize(d).map(leak)
}

/// Compiled rules are `'static` (see `leak`): their strings borrow from bytes that live as
/// long (`Pack::from_bytes` takes `'static` bytes), their lists are decoded and leaked.
fn leak_rules<'de: 'static, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static Rule>, D::Error> {
    Vec::<Rule>::deserialize(d).map(|rules| leak(rules).iter().collect())
}

fn leak_unless<'de: 'static, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<&'static Conditions>, D::Error> {
    Option::<Conditions>::deserialize(d).map(|u| u.map(|c| &*Box::leak(Box::new(c))))
}

/// A rule file after validation.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pack {
    pub file: &'static str,
    #[serde(deserialize_with = "leak_slice")]
    pub tools: &'static [&'static str],
    #[serde(deserialize_with = "leak_slice")]
    pub value_flags: &'static [&'static [u8]],
    pub content: ContentSpec,
    pub opt_in: bool,
    pub default: Option<Action>,
    #[serde(deserialize_with = "leak_rules")]
    pub rules: Vec<&'static Rule>,
    /// Each rule's examples, for `guard lint`; index-aligned with `rules`. Empty for the
    /// packs build.rs compiled (lint reads their text).
    #[serde(skip)]
    pub examples: Vec<RuleExamples>,
}

impl Pack {
    /// The compiled form as bytes (postcard), for the cache of user rule files.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("a compiled pack serializes")
    }

    /// A pack from `to_bytes`' output, its strings borrowed from `bytes`; `None` if they are
    /// not one (a corrupt cache entry).
    pub fn from_bytes(bytes: &'static [u8]) -> Option<Pack> {
        postcard::from_bytes(bytes).ok()
    }
}

impl Emit for Pack {
    fn ty() -> String {
        "Pack".into()
    }
    /// Built in a function (it holds a Vec), from statics.
    fn emit(&self, e: &mut Emitter) -> String {
        let rules: Vec<String> = self.rules.iter().map(|r| r.emit(e)).collect();
        let rules = e.named(&format!("[Rule; {}]", rules.len()), &rules.join(",\n    "));
        format!(
            "Pack {{ file: {}, tools: {}, value_flags: {}, content: {}, opt_in: {}, default: {}, \
             rules: {rules}.iter().collect(), examples: Vec::new() }}",
            self.file.emit(e),
            slice(self.tools, e),
            slice(self.value_flags, e),
            self.content.emit(e),
            self.opt_in,
            self.default.emit(e),
        )
    }
}

/// A rule's examples, kept beside the rule for `guard lint`.
#[derive(Debug, Default)]
pub struct RuleExamples {
    pub examples: Vec<Example>,
    pub not_examples: Vec<Example>,
}

#[derive(Debug, Clone)]
pub struct Example {
    pub text: String,
    pub at: (u32, u32),
}

/// Where a rule was written, for messages that explain a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub file: &'static str,
    pub line: u32,
    pub column: u32,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Rule {
    pub id: &'static str,
    pub action: Action,
    pub reason: &'static str,
    pub source: Source,
    pub when: Conditions,
    pub challenge: Challenge,
    /// Flags whose value names what the command destroys, for `challenge: target`.
    #[serde(deserialize_with = "leak_slice")]
    pub target_flags: &'static [&'static [u8]],
    /// In the confirm tier (`tier: confirm`).
    pub tier: bool,
}

impl Emit for Rule {
    fn ty() -> String {
        "Rule".into()
    }
    fn emit(&self, e: &mut Emitter) -> String {
        let s = &self.source;
        format!(
            "Rule {{ id: {}, action: {}, reason: {}, source: Source {{ file: {}, line: {}, column: {} }}, \
             when: {}, challenge: {}, target_flags: {}, tier: {} }}",
            self.id.emit(e),
            self.action.emit(e),
            self.reason.emit(e),
            s.file.emit(e),
            s.line,
            s.column,
            self.when.emit(e),
            self.challenge.emit(e),
            slice(self.target_flags, e),
            self.tier,
        )
    }
}

/// `match:` compiled: every matcher must hold, and `unless` must not.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct Conditions {
    #[serde(deserialize_with = "leak_slice")]
    pub all: &'static [Matcher],
    #[serde(deserialize_with = "leak_unless")]
    pub unless: Option<&'static Conditions>,
}

impl Emit for Conditions {
    fn ty() -> String {
        "Conditions".into()
    }
    fn emit(&self, e: &mut Emitter) -> String {
        let unless = match self.unless {
            Some(u) => {
                let value = u.emit(e);
                format!("Some(&{})", e.named("Conditions", &value))
            }
            None => "None".into(),
        };
        format!(
            "Conditions {{ all: {}, unless: {unless} }}",
            slice(self.all, e)
        )
    }
}

/// One leading positional word of `command:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub enum WordPattern {
    Any,
    OneOf(#[serde(deserialize_with = "leak_slice")] &'static [&'static [u8]]),
}

impl Emit for WordPattern {
    fn ty() -> String {
        "WordPattern".into()
    }
    fn emit(&self, e: &mut Emitter) -> String {
        match self {
            WordPattern::Any => "WordPattern::Any".into(),
            WordPattern::OneOf(alts) => format!("WordPattern::OneOf({})", slice(alts, e)),
        }
    }
}

/// The closed set of things a rule can test (`matcher` evaluates them).
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub enum Matcher {
    /// The leading positional words, in order; more words may follow.
    Command(#[serde(deserialize_with = "leak_slice")] &'static [WordPattern]),
    /// Any of these flags is present.
    Flags(#[serde(deserialize_with = "leak_slice")] &'static [&'static [u8]]),
    /// One of these flags carries a value matching the regex.
    FlagValue {
        #[serde(deserialize_with = "leak_slice")]
        flags: &'static [&'static [u8]],
        regex: Pattern,
    },
    /// Some single argument matches.
    Arg(Pattern),
    /// The arguments joined by single spaces match.
    Args(Pattern),
    /// Every named variable is set and matches.
    Env(#[serde(deserialize_with = "leak_slice")] &'static [(&'static str, Pattern)]),
    /// The request body the tool would send matches.
    Payload(Pattern),
    /// Whether part of the request body cannot be inspected.
    PayloadUnreadable(bool),
    /// Some SQL statement the tool would run is of one of these classes.
    Sql(#[serde(deserialize_with = "leak_slice")] &'static [SqlClass]),
    /// Whether some of the SQL cannot be inspected.
    SqlUnreadable(bool),
    /// Whether stdin is a pipe or a file.
    StdinPiped(bool),
    StdinRedirected(bool),
    /// Some positional word is a path of one of these kinds.
    PathIs(#[serde(deserialize_with = "leak_slice")] &'static [PathKind]),
}

impl Emit for Matcher {
    fn ty() -> String {
        "Matcher".into()
    }
    fn emit(&self, e: &mut Emitter) -> String {
        match self {
            Matcher::Command(words) => format!("Matcher::Command({})", slice(words, e)),
            Matcher::Flags(flags) => format!("Matcher::Flags({})", slice(flags, e)),
            Matcher::FlagValue { flags, regex } => format!(
                "Matcher::FlagValue {{ flags: {}, regex: {} }}",
                slice(flags, e),
                regex.emit(e)
            ),
            Matcher::Arg(p) => format!("Matcher::Arg({})", p.emit(e)),
            Matcher::Args(p) => format!("Matcher::Args({})", p.emit(e)),
            Matcher::Env(vars) => format!("Matcher::Env({})", slice(vars, e)),
            Matcher::Payload(p) => format!("Matcher::Payload({})", p.emit(e)),
            Matcher::PayloadUnreadable(b) => format!("Matcher::PayloadUnreadable({b})"),
            Matcher::Sql(classes) => format!("Matcher::Sql({})", slice(classes, e)),
            Matcher::SqlUnreadable(b) => format!("Matcher::SqlUnreadable({b})"),
            Matcher::StdinPiped(b) => format!("Matcher::StdinPiped({b})"),
            Matcher::StdinRedirected(b) => format!("Matcher::StdinRedirected({b})"),
            Matcher::PathIs(kinds) => format!("Matcher::PathIs({})", slice(kinds, e)),
        }
    }
}

/// A regex, compiled when first needed. A shim call for `railway status` never evaluates the
/// regexes of rules whose `command:` already failed, so it never pays to compile them.
///
/// The compiled regex lives outside the pattern (for the bundled packs, in one zeroed table),
/// so rules hold no interior mutability and stay read-only data.
pub struct Pattern {
    pub(super) source: &'static str,
    /// Folded literals one of which every match contains (`prefilter`): a haystack without
    /// any is no match, and the regex is not compiled for it.
    pub(super) required: Option<Required>,
    pub(super) compiled: &'static OnceLock<Option<Regex>>,
}

impl Pattern {
    /// A pattern compiled on first use into `slot`. Only for sources already validated (the
    /// bundled packs, compiled by build.rs); should one still fail to compile, it matches
    /// everything, so its rule applies: an unreadable rule fails closed.
    /// `required` must be `prefilter::required_literals(source)`.
    pub const fn lazy_in(
        source: &'static str,
        required: Option<Required>,
        slot: &'static OnceLock<Option<Regex>>,
    ) -> Pattern {
        Pattern {
            source,
            required,
            compiled: slot,
        }
    }

    /// `lazy_in` with a slot of its own, its literals found now.
    pub fn lazy(source: &'static str) -> Pattern {
        match super::prefilter::parse(source) {
            Ok(hir) => Pattern::lazy_parsed(source, &hir),
            // Fails when first used, and so matches: see `lazy_in`.
            Err(_) => Pattern::lazy_in(source, None, Box::leak(Box::default())),
        }
    }

    /// `lazy` for a pattern already parsed into `hir`.
    pub fn lazy_parsed(source: &'static str, hir: &regex_syntax::hir::Hir) -> Pattern {
        let required = super::prefilter::required_of(hir).map(|r| Required {
            at_start: r.at_start,
            any_of: leak(r.any_of.into_iter().map(leak).collect()),
        });
        Pattern::lazy_in(source, required, Box::leak(Box::default()))
    }

    /// A pattern that was compiled (and so validated) while loading.
    pub fn compiled(source: &'static str, regex: Regex) -> Pattern {
        Pattern {
            source,
            required: None,
            compiled: Box::leak(Box::new(OnceLock::from(Some(regex)))),
        }
    }

    pub fn source(&self) -> &'static str {
        self.source
    }
}

impl Emit for Pattern {
    fn ty() -> String {
        "Pattern".into()
    }
    fn emit(&self, e: &mut Emitter) -> String {
        let required = match &self.required {
            Some(r) => format!(
                "Some(Required {{ at_start: {}, any_of: {} }})",
                r.at_start,
                slice(r.any_of, e)
            ),
            None => "None".into(),
        };
        let slot = e.regex_slot(self.source);
        format!(
            "Pattern::lazy_in({}, {required}, &REGEXES[{slot}])",
            self.source.emit(e)
        )
    }
}

/// A pattern as bytes: its source and literals; the compiled regex is made anew on first use.
#[derive(Serialize, Deserialize)]
struct PatternData {
    source: &'static str,
    at_start: Option<bool>,
    #[serde(deserialize_with = "leak_slice")]
    any_of: &'static [&'static [u8]],
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PatternData {
            source: self.source,
            at_start: self.required.map(|r| r.at_start),
            any_of: self.required.map_or(&[], |r| r.any_of),
        }
        .serialize(s)
    }
}

impl<'de: 'static> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Pattern, D::Error> {
        let p = PatternData::deserialize(d)?;
        let required = p.at_start.map(|at_start| Required {
            at_start,
            any_of: p.any_of,
        });
        Ok(Pattern::lazy_in(
            p.source,
            required,
            Box::leak(Box::default()),
        ))
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}/", self.source)?;
        match self.required {
            Some(r) => {
                let lits: Vec<String> = r
                    .any_of
                    .iter()
                    .map(|l| l.escape_ascii().to_string())
                    .collect();
                write!(f, " needs one of {lits:?} (at the start: {})", r.at_start)
            }
            None => Ok(()),
        }
    }
}

/// Flag names: borrowed from a bundled pack's statics, owned once packs are merged.
pub type FlagList = Cow<'static, [&'static [u8]]>;

/// Per tool: which flags carry the request body and the SQL (merged from every pack naming
/// the tool; `content` extracts what they carry).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(bound(deserialize = "'de: 'static"))]
pub struct ContentSpec {
    pub payload_data: FlagList,
    pub payload_raw: FlagList,
    pub payload_urlencode: FlagList,
    pub payload_file: FlagList,
    pub sql_text: FlagList,
    pub sql_file: FlagList,
    pub sql_positional: bool,
    pub sql_stdin: bool,
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
        sql_stdin: false,
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
        self.sql_stdin |= other.sql_stdin;
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

impl Emit for ContentSpec {
    fn ty() -> String {
        "ContentSpec".into()
    }
    fn emit(&self, e: &mut Emitter) -> String {
        let mut flags = |list: &FlagList| format!("Cow::Borrowed({})", slice(list, e));
        format!(
            "ContentSpec {{ payload_data: {}, payload_raw: {}, payload_urlencode: {}, payload_file: {}, \
             sql_text: {}, sql_file: {}, sql_positional: {}, sql_stdin: {}, dialect: SqlDialect::{:?} }}",
            flags(&self.payload_data),
            flags(&self.payload_raw),
            flags(&self.payload_urlencode),
            flags(&self.payload_file),
            flags(&self.sql_text),
            flags(&self.sql_file),
            self.sql_positional,
            self.sql_stdin,
            self.dialect,
        )
    }
}
