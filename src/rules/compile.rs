//! Turns one rule file's text into compiled rules, reporting every problem with its location.
//! This is the single validation pass: the shim refuses on any error it reports, and
//! `guard lint` prints the same diagnostics (plus the checks that need examples).

use super::compiled::{
    Conditions, ContentSpec, Example, FlagList, Matcher, Pack, Pattern, Rule, RuleExamples, Source,
    WordPattern, leak, leak_str,
};
use super::diagnostic::{Code, Diagnostic};
use super::model::{Action, ContentSpecYaml, MatchSpec, PackSpec, RuleSpec, WordSpec};
use regex::bytes::Regex;
use serde_saphyr::{Location, Spanned};

fn at(location: &Location) -> (u32, u32) {
    (location.line() as u32, location.column() as u32)
}

fn at_of<T>(spanned: &Spanned<T>) -> (u32, u32) {
    at(&spanned.referenced)
}

/// How much of each regex `compile_pack` checks now. Compiling one can take milliseconds
/// (`prefilter`), so only lint pays for it on every pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegexCheck {
    /// Parsed now for its literals (`prefilter`), compiled on first use: the bundled packs,
    /// which build.rs compiles (a pattern that does not parse still fails closed there).
    Lazy,
    /// Parsed now, so a bad regex fails the load with its location; compiled on first use (user
    /// files on the shim's path). One too large to compile then matches, so its rule applies.
    Syntax,
    /// Compiled now: also reports size limits and patterns that match anything (lint, `rules`).
    Full,
}

/// Parse and validate `text`; push every problem onto `diags`. `None` when the file could not
/// be read as a pack at all.
pub fn compile_pack(
    file: &str,
    text: &str,
    check: RegexCheck,
    diags: &mut Vec<Diagnostic>,
) -> Option<Pack> {
    let spec: PackSpec = match serde_saphyr::from_str(text) {
        Ok(spec) => spec,
        Err(err) => {
            diags.push(yaml_error(file, &err));
            return None;
        }
    };
    let file = leak_str(file);
    let mut c = Compiler { file, check, diags };
    if spec.tools.value.is_empty() {
        c.push(
            Code::G012,
            at_of(&spec.tools),
            "`tools` is empty".into(),
            None,
        )
        .set_hint("name the commands these rules apply to, e.g. `tools: [railway]`");
    }
    for tool in &spec.tools.value {
        if tool.is_empty() || tool.contains(['/', ' ', '\t']) {
            c.push(
                Code::G012,
                at_of(&spec.tools),
                format!("`{tool}` is not a command name"),
                None,
            )
            .set_hint("write the bare name a shim is installed under, without a path");
        }
    }
    let mut value_flags = Vec::new();
    for flag in &spec.value_flags {
        if c.check_flag(flag, None) {
            value_flags.push(leak_str(&flag.value).as_bytes());
        }
    }
    let mut rules = Vec::new();
    let mut examples = Vec::new();
    for rule in &spec.rules {
        if let Some(compiled) = c.rule(rule) {
            rules.push(compiled);
            examples.push(RuleExamples {
                examples: rule.examples.iter().map(example).collect(),
                not_examples: rule.not_examples.iter().map(example).collect(),
            });
        }
    }
    let content = c.content(spec.content.as_ref());
    Some(Pack {
        file,
        tools: leak(spec.tools.value.iter().map(|t| leak_str(t)).collect()),
        value_flags: leak(value_flags),
        content,
        opt_in: spec.opt_in,
        default: spec.default.map(|d| d.value),
        rules: leak(rules).iter().collect(),
        examples,
    })
}

fn example(s: &Spanned<String>) -> Example {
    Example {
        text: s.value.clone(),
        at: at_of(s),
    }
}

/// Map a YAML/serde error to a diagnostic with the right code.
pub fn yaml_error(file: &str, err: &serde_saphyr::Error) -> Diagnostic {
    use serde_saphyr::MessageFormatter;
    let inner = err.without_snippet();
    let message = serde_saphyr::DefaultMessageFormatter
        .format_message(inner)
        .into_owned();
    let location = err.location().map(|l| at(&l)).unwrap_or((1, 1));
    use serde_saphyr::Error as E;
    let (code, hint) = match inner {
        E::SerdeUnknownField { .. } => (
            Code::G002,
            "check the spelling; docs/rules.md lists every key",
        ),
        E::SerdeMissingField { .. } => (
            Code::G004,
            "every rule needs `id`, `action`, `reason` and `match`",
        ),
        E::Message { .. }
        | E::SerdeInvalidType { .. }
        | E::SerdeInvalidValue { .. }
        | E::SerdeInvalidLength { .. }
        | E::SerdeUnknownVariant { .. }
        | E::Unexpected { .. }
        | E::InvalidScalar { .. }
        | E::InvalidBooleanStrict { .. }
        | E::NullIntoString { .. }
        | E::TaggedScalarCannotDeserializeIntoString { .. } => {
            (Code::G003, "docs/rules.md gives the type of every key")
        }
        _ => (Code::G001, "fix the YAML syntax at this position"),
    };
    Diagnostic::new(code, file, location, message).hint(hint)
}

struct Compiler<'a> {
    file: &'static str,
    check: RegexCheck,
    diags: &'a mut Vec<Diagnostic>,
}

impl Compiler<'_> {
    fn push(
        &mut self,
        code: Code,
        at: (u32, u32),
        message: String,
        rule: Option<&str>,
    ) -> &mut Diagnostic {
        let mut d = Diagnostic::new(code, self.file, at, message);
        d.rule = rule.map(str::to_string);
        self.diags.push(d);
        self.diags.last_mut().expect("just pushed")
    }

    fn check_flag(&mut self, flag: &Spanned<String>, rule: Option<&str>) -> bool {
        let f = &flag.value;
        let ok = f.len() >= 2 && f.starts_with('-') && f != "--" && !f.contains(['=', ' ']);
        if !ok {
            self.push(
                Code::G010,
                at_of(flag),
                format!("`{f}` is not a flag"),
                rule,
            )
            .set_hint("flags start with `-` or `--` and carry no `=value`, e.g. `--volume`");
        }
        ok
    }

    fn rule(&mut self, spec: &RuleSpec) -> Option<Rule> {
        let id = spec.id.value.as_str();
        let errors_before = self.error_count();
        let valid_id = !id.is_empty()
            && id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_'));
        if !valid_id {
            self.push(
                Code::G003,
                at_of(&spec.id),
                format!("rule id `{id}` may use only letters, digits, `.`, `-` and `_`"),
                None,
            )
            .set_hint("use a dotted name such as `railway.volume.delete`");
        }
        if spec.reason.value.trim().is_empty() {
            self.push(
                Code::G004,
                at_of(&spec.reason),
                "empty `reason`".into(),
                Some(id),
            )
            .set_hint("say in one sentence what the command destroys or changes");
        }
        if spec.examples.is_empty() {
            self.push(
                Code::W102,
                at_of(&spec.id),
                "rule has no examples".into(),
                Some(id),
            )
            .set_hint("add `examples:` with command lines it must match, so lint can test it");
        }
        if spec.matches.value.is_empty() {
            self.push(
                Code::G009,
                at_of(&spec.matches),
                "`match` has no keys, so it would match every command".into(),
                Some(id),
            )
            .set_hint("add `command:`, `flags:` or another key; docs/rules.md lists them");
        }
        if let Some(t) = &spec.tier
            && spec.action.value != Action::Confirm
        {
            self.push(
                Code::G003,
                at_of(t),
                "`tier: confirm` on a rule whose action is not confirm".into(),
                Some(id),
            )
            .set_hint("the confirm tier holds confirm rules only; remove `tier` or make the action confirm");
        }
        let when = self.conditions(&spec.matches.value, id, false);
        let target_flags = spec
            .target
            .as_deref()
            .map_or(&[][..], |flags| self.flag_names(flags, id));
        (self.error_count() == errors_before).then(|| Rule {
            id: leak_str(id),
            action: spec.action.value,
            reason: leak_str(spec.reason.value.trim()),
            source: Source {
                file: self.file,
                line: at_of(&spec.id).0,
                column: at_of(&spec.id).1,
            },
            when,
            challenge: spec.challenge.as_ref().map(|c| c.value).unwrap_or_default(),
            target_flags,
            tier: spec.tier.is_some(),
        })
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    fn conditions(&mut self, spec: &MatchSpec, id: &str, under_unless: bool) -> Conditions {
        let mut all = Vec::new();
        if let Some(words) = &spec.command {
            all.push(Matcher::Command(leak(
                words.iter().map(word_pattern).collect(),
            )));
        }
        if let Some(flags) = &spec.flags {
            let names = self.flag_names(flags, id);
            all.push(Matcher::Flags(names));
        }
        if let Some(fv) = &spec.flag_value {
            let flags = self.flag_names(&fv.flags, id);
            if let Some(regex) = self.regex(&fv.regex, id) {
                all.push(Matcher::FlagValue { flags, regex });
            }
        }
        if let Some(re) = &spec.arg
            && let Some(regex) = self.regex(re, id)
        {
            all.push(Matcher::Arg(regex));
        }
        if let Some(re) = &spec.args
            && let Some(regex) = self.regex(re, id)
        {
            all.push(Matcher::Args(regex));
        }
        if let Some(re) = &spec.payload
            && let Some(regex) = self.regex(re, id)
        {
            all.push(Matcher::Payload(regex));
        }
        if let Some(b) = spec.payload_unreadable {
            all.push(Matcher::PayloadUnreadable(b));
        }
        if let Some(classes) = &spec.sql {
            all.push(Matcher::Sql(leak(classes.value.clone())));
        }
        if let Some(b) = spec.sql_unreadable {
            all.push(Matcher::SqlUnreadable(b));
        }
        if let Some(b) = spec.stdin_piped {
            all.push(Matcher::StdinPiped(b));
        }
        if let Some(b) = spec.stdin_redirected {
            all.push(Matcher::StdinRedirected(b));
        }
        if let Some(kinds) = &spec.path_is {
            all.push(Matcher::PathIs(leak(kinds.value.clone())));
        }
        if let Some(env) = &spec.env {
            let mut vars = Vec::new();
            for (name, re) in env {
                if under_unless {
                    self.push(
                        Code::W106,
                        at_of(re),
                        format!("`env` under `unless`: setting {name} would switch this rule off"),
                        Some(id),
                    )
                    .set_hint("an agent controls its own environment; use `env` only to make a rule stricter");
                }
                if let Some(regex) = self.regex(re, id) {
                    vars.push((leak_str(name), regex));
                }
            }
            all.push(Matcher::Env(leak(vars)));
        }
        let unless = spec
            .unless
            .as_ref()
            .map(|u| &*Box::leak(Box::new(self.conditions(&u.value, id, true))));
        Conditions {
            all: leak(all),
            unless,
        }
    }

    fn content(&mut self, spec: Option<&ContentSpecYaml>) -> ContentSpec {
        let mut out = ContentSpec::default();
        let Some(spec) = spec else {
            return out;
        };
        let mut names = |flags: &[Spanned<String>]| -> FlagList {
            FlagList::Owned(
                flags
                    .iter()
                    .filter(|f| self.check_flag(f, None))
                    .map(|f| leak_str(&f.value).as_bytes())
                    .collect(),
            )
        };
        if let Some(p) = &spec.payload {
            out.payload_data = names(&p.data);
            out.payload_raw = names(&p.raw);
            out.payload_urlencode = names(&p.urlencode);
            out.payload_file = names(&p.file);
        }
        if let Some(q) = &spec.sql {
            out.sql_text = names(&q.text);
            out.sql_file = names(&q.file);
            out.sql_positional = q.positional;
            out.sql_stdin = q.stdin;
            out.dialect = q.dialect;
        }
        out
    }

    fn flag_names(&mut self, flags: &[Spanned<String>], id: &str) -> &'static [&'static [u8]] {
        leak(
            flags
                .iter()
                .filter(|f| self.check_flag(f, Some(id)))
                .map(|f| leak_str(&f.value).as_bytes())
                .collect(),
        )
    }

    fn regex(&mut self, re: &Spanned<String>, id: &str) -> Option<Pattern> {
        let source = leak_str(&re.value);
        match self.check {
            RegexCheck::Lazy => return Some(Pattern::lazy(source)),
            RegexCheck::Syntax => {
                return match super::prefilter::parse(source) {
                    Ok(hir) => Some(Pattern::lazy_parsed(source, &hir)),
                    Err(err) => {
                        self.invalid_regex(re, id, &err.to_string());
                        None
                    }
                };
            }
            RegexCheck::Full => {}
        }
        match Regex::new(&re.value) {
            Ok(regex) => {
                if regex.is_match(b"") {
                    self.push(
                        Code::W103,
                        at_of(re),
                        format!(
                            "regex `{}` matches the empty string, so it matches anything",
                            re.value
                        ),
                        Some(id),
                    )
                    .set_hint("anchor it or require at least one character");
                }
                Some(Pattern::compiled(leak_str(&re.value), regex))
            }
            Err(err) => {
                self.invalid_regex(re, id, &err.to_string());
                None
            }
        }
    }

    fn invalid_regex(&mut self, re: &Spanned<String>, id: &str, detail: &str) {
        let last = detail.lines().last().unwrap_or("invalid regex").trim();
        let last = last.strip_prefix("error: ").unwrap_or(last);
        self.push(
            Code::G005,
            at_of(re),
            format!("invalid regex `{}`: {last}", re.value),
            Some(id),
        )
        .set_hint(
            "regex syntax is Rust's `regex` crate; in YAML, single-quote patterns with backslashes",
        );
    }
}

fn word_pattern(word: &Spanned<WordSpec>) -> WordPattern {
    let alts: Vec<&String> = match &word.value {
        WordSpec::One(w) => vec![w],
        WordSpec::AnyOf(ws) => ws.iter().collect(),
    };
    if alts.iter().any(|w| w.as_str() == "*") {
        WordPattern::Any
    } else {
        WordPattern::OneOf(leak(alts.iter().map(|w| leak_str(w).as_bytes()).collect()))
    }
}
