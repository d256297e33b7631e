//! Compiled rules: the data `compile` makes of a rule file and `matcher` evaluates. Plain
//! serde data, so a compiled pack travels as bytes (`to_bytes`/`from_bytes`, postcard): build.rs
//! compiles the bundled packs into the binary this way, and the user layer caches its files so.
//!
//! A new kind of match is a new `Matcher` variant here, its key in `model::MatchSpec`, its arm
//! in `compile::Compiler::conditions` and in `Matcher::holds`; serde derives the rest.

use super::model::{Action, Challenge, PathKind, SqlClass, SqlDialect};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A pattern's required literals (`prefilter::Required`).
pub type Required = super::prefilter::Required<Vec<String>>;

/// A rule file after validation.
#[derive(Debug, Serialize, Deserialize)]
pub struct Pack {
    pub file: String,
    pub tools: Vec<String>,
    pub value_flags: Vec<String>,
    pub content: ContentSpec,
    pub opt_in: bool,
    pub default: Option<Action>,
    pub rules: Vec<Rule>,
    /// Each rule's examples, for `guard lint`; index-aligned with `rules`. Not carried in the
    /// compiled bytes (lint reads the text).
    #[serde(skip)]
    pub examples: Vec<RuleExamples>,
}

impl Pack {
    /// The compiled form as bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        postcard::to_allocvec(self).expect("a pack serializes")
    }

    /// A pack from `to_bytes`' output; `None` if the bytes are not one (a corrupt cache).
    pub fn from_bytes(bytes: &[u8]) -> Option<Pack> {
        postcard::from_bytes(bytes).ok()
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub file: String,
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
    pub id: String,
    pub action: Action,
    pub reason: String,
    pub source: Source,
    pub when: Conditions,
    pub challenge: Challenge,
    /// Flags whose value names what the command destroys, for `challenge: target`.
    pub target_flags: Vec<String>,
}

/// `match:` compiled: every matcher must hold, and `unless` must not.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Conditions {
    pub all: Vec<Matcher>,
    pub unless: Option<Box<Conditions>>,
}

/// One leading positional word of `command:`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WordPattern {
    Any,
    OneOf(Vec<String>),
}

/// The closed set of things a rule can test (`matcher` evaluates them).
#[derive(Debug, Serialize, Deserialize)]
pub enum Matcher {
    /// The leading positional words, in order; more words may follow.
    Command(Vec<WordPattern>),
    /// Any of these flags is present.
    Flags(Vec<String>),
    /// One of these flags carries a value matching the regex.
    FlagValue { flags: Vec<String>, regex: Pattern },
    /// Some single argument matches.
    Arg(Pattern),
    /// The arguments joined by single spaces match.
    Args(Pattern),
    /// Every named variable is set and matches.
    Env(Vec<(String, Pattern)>),
    /// The request body the tool would send matches.
    Payload(Pattern),
    /// Whether part of the request body cannot be inspected.
    PayloadUnreadable(bool),
    /// Some SQL statement the tool would run is of one of these classes.
    Sql(Vec<SqlClass>),
    /// Whether some of the SQL cannot be inspected.
    SqlUnreadable(bool),
    /// Whether stdin is a pipe or a file.
    StdinPiped(bool),
    /// Some positional word is a path of one of these kinds.
    PathIs(Vec<PathKind>),
}

/// A regex, compiled when first needed (`matcher`): a shim call for `railway status` never
/// evaluates the regexes of rules whose `command:` already failed, so it never pays to
/// compile them, and the prefilter's `required` literals rule most others out uncompiled.
#[derive(Serialize, Deserialize)]
pub struct Pattern {
    pub(super) source: String,
    /// Folded literals one of which every match contains (`prefilter`): a haystack without
    /// any is no match, and the regex is not compiled for it.
    pub(super) required: Option<Required>,
    #[serde(skip)]
    pub(super) compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// A pattern compiled on first use, its literals found now. Should it not compile then
    /// (only a pattern too large to compile gets this far), it matches everything, so its rule
    /// applies: an unreadable rule fails closed.
    pub fn lazy(source: &str) -> Pattern {
        match super::prefilter::parse(source) {
            Ok(hir) => Pattern::lazy_parsed(source, &hir),
            Err(_) => Pattern {
                source: source.to_string(),
                required: None,
                compiled: OnceLock::new(),
            },
        }
    }

    /// `lazy` for a pattern already parsed into `hir`.
    pub fn lazy_parsed(source: &str, hir: &regex_syntax::hir::Hir) -> Pattern {
        let required = super::prefilter::required_of(hir).map(|r| Required {
            at_start: r.at_start,
            any_of: r
                .any_of
                .into_iter()
                .map(|l| String::from_utf8_lossy(&l).into_owned())
                .collect(),
        });
        Pattern {
            source: source.to_string(),
            required,
            compiled: OnceLock::new(),
        }
    }

    /// A pattern that was compiled (and so validated) while loading.
    pub fn compiled(source: &str, regex: Regex) -> Pattern {
        Pattern {
            source: source.to_string(),
            required: None,
            compiled: OnceLock::from(Some(regex)),
        }
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "/{}/", self.source)?;
        match &self.required {
            Some(r) => write!(
                f,
                " needs one of {:?} (at the start: {})",
                r.any_of, r.at_start
            ),
            None => Ok(()),
        }
    }
}

/// Per tool: which flags carry the request body and the SQL (merged from every pack naming
/// the tool; `content` extracts what they carry).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentSpec {
    pub payload_data: Vec<String>,
    pub payload_raw: Vec<String>,
    pub payload_urlencode: Vec<String>,
    pub payload_file: Vec<String>,
    pub sql_text: Vec<String>,
    pub sql_file: Vec<String>,
    pub sql_positional: bool,
    pub dialect: SqlDialect,
}

impl ContentSpec {
    pub fn merge(&mut self, other: &ContentSpec) {
        self.payload_data.extend_from_slice(&other.payload_data);
        self.payload_raw.extend_from_slice(&other.payload_raw);
        self.payload_urlencode
            .extend_from_slice(&other.payload_urlencode);
        self.payload_file.extend_from_slice(&other.payload_file);
        self.sql_text.extend_from_slice(&other.sql_text);
        self.sql_file.extend_from_slice(&other.sql_file);
        self.sql_positional |= other.sql_positional;
        if self.dialect == SqlDialect::Generic {
            self.dialect = other.dialect;
        }
    }

    /// Every flag that carries content takes a value.
    pub fn flags(&self) -> impl Iterator<Item = &str> + '_ {
        [
            &self.payload_data,
            &self.payload_raw,
            &self.payload_urlencode,
            &self.payload_file,
            &self.sql_text,
            &self.sql_file,
        ]
        .into_iter()
        .flat_map(|list| list.iter().map(String::as_str))
    }
}
