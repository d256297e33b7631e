//! Build-time work on the bundled packs (`rules/*.yaml`), so an intercepted call pays for
//! neither YAML parsing nor the packs of other tools:
//! - `bundled.rs`: each pack's text (for lint and `guard rules`) and its tools;
//! - `bundled_compiled.rs`: each pack already compiled, as statics the shim only reads, and
//!   `naming(tool)`, the index from a tool to its packs (`rules::bundled`).
//!
//! Unit tests check both against packs parsed at run time by the real loader.

use std::fmt::Write as _;
use std::path::Path;

include!("src/rules/tools_line.rs");

#[path = "src/rules/model.rs"]
#[allow(dead_code)]
mod model;

#[path = "src/rules/prefilter.rs"]
#[allow(dead_code)]
mod prefilter;

use model::{Action, Challenge, MatchSpec, PackSpec, WordSpec};

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=src/rules/tools_line.rs");
    println!("cargo:rerun-if-changed=src/rules/model.rs");
    link_order();
    let mut entries: Vec<_> = std::fs::read_dir("rules")
        .expect("rules/ directory")
        .map(|e| e.expect("readable rules/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    entries.sort();
    let mut index = String::from("pub static BUNDLED: &[BundledPack] = &[\n");
    let mut compiled = String::from(
        "/// Bundled pack `index` of `BUNDLED`, compiled at build time.\n\
         pub fn compiled(index: usize) -> Option<Pack> {\n    match index {\n",
    );
    let mut statics = Statics::default();
    let mut by_tool: std::collections::BTreeMap<String, Vec<usize>> = Default::default();
    for (i, path) in entries.iter().enumerate() {
        let text = std::fs::read_to_string(path).expect("UTF-8 pack");
        let tools = tools_line(&text).unwrap_or_else(|| {
            panic!(
                "{}: bundled packs need a one-line `tools: [a, b]`",
                path.display()
            )
        });
        for tool in &tools {
            by_tool.entry(tool.clone()).or_default().push(i);
        }
        let name = path.file_name().unwrap().to_str().unwrap();
        let abs = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        writeln!(
            index,
            "    BundledPack {{ name: {name:?}, tools: &{tools:?}, text: include_str!({abs:?}) }},"
        )
        .unwrap();
        // A pack that does not parse is left to the run-time loader, which reports it with its
        // location (and the test suite's lint of rules/ fails).
        let code = match serde_saphyr::from_str::<PackSpec>(&text) {
            Ok(spec) => format!("Some({})", pack(name, &spec, &mut statics)),
            Err(_) => "None".to_string(),
        };
        writeln!(compiled, "        {i} => {code},").unwrap();
    }
    index.push_str("];\n");
    compiled.push_str("        _ => None,\n    }\n}\n");
    // A match, not a scan of BUNDLED: each pack's tool list sits beside its text, so a scan
    // would touch a page of every pack on every call.
    compiled.push_str(
        "/// The indexes in `BUNDLED` of the packs naming `tool`.\n\
         pub fn naming(tool: &str) -> &'static [usize] {\n    match tool {\n",
    );
    for (tool, packs) in &by_tool {
        writeln!(compiled, "        {tool:?} => &{packs:?},").unwrap();
    }
    compiled.push_str("        _ => &[],\n    }\n}\n");
    compiled.push_str(&statics.code);
    // Zeroed (.bss): a slot costs nothing until its regex is compiled.
    writeln!(
        compiled,
        "static REGEXES: [OnceLock<Option<regex::bytes::Regex>>; {}] = [const {{ OnceLock::new() }}; {}];",
        statics.patterns, statics.patterns
    )
    .unwrap();
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).to_path_buf();
    std::fs::write(out.join("bundled.rs"), index).unwrap();
    std::fs::write(out.join("bundled_compiled.rs"), compiled).unwrap();
}

fn action(a: Action) -> &'static str {
    match a {
        Action::Allow => "Action::Allow",
        Action::Confirm => "Action::Confirm",
        Action::Deny => "Action::Deny",
    }
}

fn challenge(c: Option<Challenge>) -> &'static str {
    match c.unwrap_or_default() {
        Challenge::Yes => "Challenge::Yes",
        Challenge::Target => "Challenge::Target",
        Challenge::Code => "Challenge::Code",
    }
}

fn bytes(s: &str) -> String {
    format!("{s:?}.as_bytes()")
}

/// A slice literal: `&[a, b]` (its items hold no interior mutability, so it is promoted).
fn list<T>(items: impl IntoIterator<Item = T>, f: impl Fn(T) -> String) -> String {
    let parts: Vec<String> = items.into_iter().map(f).collect();
    format!("&[{}]", parts.join(", "))
}

/// The statics generated so far. Rules and matchers are named statics rather than promoted
/// literals: a `Pattern` refers to its slot in `REGEXES`, a static, and the pack-level lists
/// are used inside a function, where only statics outlive the call.
#[derive(Default)]
struct Statics {
    code: String,
    count: usize,
    patterns: usize,
    /// The `REGEXES` slot of each distinct source: rules that share a pattern share its
    /// compiled regex (the curl pack's Railway URL pattern appears in four rules).
    slots: std::collections::HashMap<String, usize>,
}

impl Statics {
    /// Emit `static S<n>: [ty; len] = [items];` and return `&S<n>`.
    fn array(&mut self, ty: &str, items: &[String]) -> String {
        let name = format!("S{}", self.count);
        self.count += 1;
        writeln!(
            self.code,
            "static {name}: [{ty}; {}] = [{}];",
            items.len(),
            items.join(", ")
        )
        .unwrap();
        format!("&{name}")
    }

    /// A lazily compiled pattern with its slot in `REGEXES`.
    fn pattern(&mut self, source: &str) -> String {
        let next = self.patterns;
        let slot = *self.slots.entry(source.to_string()).or_insert(next);
        if slot == next {
            self.patterns += 1;
        }
        let required = prefilter::required_literals(source).map_or("None".to_string(), |r| {
            // Folded literals are valid UTF-8: `required_literals` keeps only those.
            let lits = r
                .any_of
                .iter()
                .map(|l| std::str::from_utf8(l).expect("UTF-8 literal"));
            format!(
                "Some(Required {{ at_start: {}, any_of: {} }})",
                r.at_start,
                list(lits, bytes)
            )
        });
        format!("Pattern::lazy_in({source:?}, {required}, &REGEXES[{slot}])")
    }

    fn one(&mut self, ty: &str, value: String) -> String {
        let name = format!("S{}", self.count);
        self.count += 1;
        writeln!(self.code, "static {name}: {ty} = {value};").unwrap();
        format!("&{name}")
    }
}

fn pack(name: &str, spec: &PackSpec, st: &mut Statics) -> String {
    let label = format!("<bundled>/{name}");
    let rules: Vec<String> = spec
        .rules
        .iter()
        .map(|r| {
            let at = &r.id.referenced;
            format!(
                "Rule {{ id: {:?}, action: {}, reason: {:?}, \
                 source: Source {{ file: {label:?}, line: {}, column: {} }}, when: {}, \
                 challenge: {}, target_flags: {} }}",
                r.id.value,
                action(r.action.value),
                r.reason.value.trim(),
                at.line(),
                at.column(),
                conditions(&r.matches.value, st),
                challenge(r.challenge.as_ref().map(|c| c.value)),
                list(r.target.iter().flatten(), |f| bytes(&f.value)),
            )
        })
        .collect();
    let rules = st.array("Rule", &rules);
    let rules = rules.trim_start_matches('&');
    format!(
        "Pack {{ file: {label:?}, tools: {}, value_flags: {}, content: {}, \
         opt_in: {}, default: {}, rules: {rules}.iter().collect(), examples: Vec::new() }}",
        st.array(
            "&str",
            &spec
                .tools
                .value
                .iter()
                .map(|t| format!("{t:?}"))
                .collect::<Vec<_>>()
        ),
        st.array(
            "&[u8]",
            &spec
                .value_flags
                .iter()
                .map(|f| bytes(&f.value))
                .collect::<Vec<_>>()
        ),
        content(spec.content.as_ref(), st),
        spec.opt_in,
        spec.default
            .as_ref()
            .map_or("None".to_string(), |d| format!("Some({})", action(d.value))),
    )
}

/// Mirrors `compile::Compiler::content`.
fn content(spec: Option<&model::ContentSpecYaml>, st: &mut Statics) -> String {
    // The pack is built in a function, where only statics outlive the call.
    let mut flags = |v: &[serde_saphyr::Spanned<String>]| {
        let items: Vec<String> = v.iter().map(|f| bytes(&f.value)).collect();
        format!("Cow::Borrowed({})", st.array("&[u8]", &items))
    };
    let none: Vec<serde_saphyr::Spanned<String>> = Vec::new();
    let p = spec.and_then(|c| c.payload.as_ref());
    let q = spec.and_then(|c| c.sql.as_ref());
    format!(
        "ContentSpec {{ payload_data: {}, payload_raw: {}, payload_urlencode: {}, payload_file: {}, \
         sql_text: {}, sql_file: {}, sql_positional: {}, dialect: SqlDialect::{:?} }}",
        flags(p.map_or(&none, |p| &p.data)),
        flags(p.map_or(&none, |p| &p.raw)),
        flags(p.map_or(&none, |p| &p.urlencode)),
        flags(p.map_or(&none, |p| &p.file)),
        flags(q.map_or(&none, |q| &q.text)),
        flags(q.map_or(&none, |q| &q.file)),
        q.is_some_and(|q| q.positional),
        q.map(|q| q.dialect).unwrap_or_default(),
    )
}

/// Mirrors `compile::Compiler::conditions`: the same matchers, in the same order.
fn conditions(m: &MatchSpec, st: &mut Statics) -> String {
    let mut all = Vec::new();
    if let Some(words) = &m.command {
        all.push(format!(
            "Matcher::Command({})",
            list(words, |w| {
                let alts: Vec<&String> = match &w.value {
                    WordSpec::One(one) => vec![one],
                    WordSpec::AnyOf(many) => many.iter().collect(),
                };
                if alts.iter().any(|a| a.as_str() == "*") {
                    "WordPattern::Any".to_string()
                } else {
                    format!("WordPattern::OneOf({})", list(alts, |a| bytes(a)))
                }
            })
        ));
    }
    if let Some(flags) = &m.flags {
        all.push(format!(
            "Matcher::Flags({})",
            list(flags, |f| bytes(&f.value))
        ));
    }
    if let Some(fv) = &m.flag_value {
        all.push(format!(
            "Matcher::FlagValue {{ flags: {}, regex: {} }}",
            list(&fv.flags, |f| bytes(&f.value)),
            st.pattern(&fv.regex.value)
        ));
    }
    if let Some(re) = &m.arg {
        all.push(format!("Matcher::Arg({})", st.pattern(&re.value)));
    }
    if let Some(re) = &m.args {
        all.push(format!("Matcher::Args({})", st.pattern(&re.value)));
    }
    if let Some(re) = &m.payload {
        all.push(format!("Matcher::Payload({})", st.pattern(&re.value)));
    }
    if let Some(b) = m.payload_unreadable {
        all.push(format!("Matcher::PayloadUnreadable({b})"));
    }
    if let Some(classes) = &m.sql {
        all.push(format!(
            "Matcher::Sql({})",
            list(&classes.value, |c| format!("SqlClass::{c:?}"))
        ));
    }
    if let Some(b) = m.sql_unreadable {
        all.push(format!("Matcher::SqlUnreadable({b})"));
    }
    if let Some(b) = m.stdin_piped {
        all.push(format!("Matcher::StdinPiped({b})"));
    }
    if let Some(kinds) = &m.path_is {
        all.push(format!(
            "Matcher::PathIs({})",
            list(&kinds.value, |k| format!("PathKind::{k:?}"))
        ));
    }
    if let Some(env) = &m.env {
        all.push(format!("Matcher::Env({})", {
            let vars: Vec<String> = env
                .iter()
                .map(|(k, v)| format!("({k:?}, {})", st.pattern(&v.value)))
                .collect();
            st.array("(&str, Pattern)", &vars)
        }));
    }
    let unless = m.unless.as_ref().map_or("None".to_string(), |u| {
        let inner = conditions(&u.value, st);
        format!("Some({})", st.one("Conditions", inner))
    });
    format!(
        "Conditions {{ all: {}, unless: {unless} }}",
        st.array("Matcher", &all)
    )
}

/// Optional link-time layout for the release binary, set by `scripts/install` (README,
/// Performance): a shim call touches a few hundred functions scattered over megabytes of
/// code, and the page faults on those pages cost more than the instructions. Link arguments
/// do not change symbol names, so a first link can report them (`GUARD_LINK_MAP`: write an
/// lld map there) and a second can place the hot ones together (`GUARD_SYMBOL_ORDER`: an lld
/// symbol-ordering file). Neither changes what the binary does.
fn link_order() {
    println!("cargo:rerun-if-env-changed=GUARD_LINK_MAP");
    println!("cargo:rerun-if-env-changed=GUARD_SYMBOL_ORDER");
    if let Some(map) = std::env::var_os("GUARD_LINK_MAP").filter(|v| !v.is_empty()) {
        let map = map.to_str().expect("GUARD_LINK_MAP must be UTF-8");
        println!("cargo:rustc-link-arg-bins=-Wl,-Map={map}");
    }
    if let Some(order) = std::env::var_os("GUARD_SYMBOL_ORDER").filter(|v| !v.is_empty()) {
        let order = order.to_str().expect("GUARD_SYMBOL_ORDER must be UTF-8");
        println!("cargo:rerun-if-changed={order}");
        println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={order}");
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
