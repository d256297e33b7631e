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
    println!("cargo:rerun-if-env-changed=GUARD_NON_PIE");
    link_order();
    let mut entries: Vec<_> = std::fs::read_dir("rules")
        .expect("rules/ directory")
        .map(|e| e.expect("readable rules/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    entries.sort();
    let mut index = String::from("pub static BUNDLED: &[BundledPack] = &[\n");
    let mut texts = String::new();
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
        // The texts are read by lint and `guard rules`, never by a shim: in a section of their
        // own they stay out of the pages a call reads (see `Statics`).
        writeln!(
            texts,
            "#[unsafe(link_section = \"guard_pack_texts\")]\n\
             static T{i}: [u8; {}] = *include_bytes!({abs:?});",
            text.len()
        )
        .unwrap();
        writeln!(
            index,
            "    BundledPack {{ name: {name:?}, tools: &{tools:?}, text: super::bundled::utf8(&T{i}) }},"
        )
        .unwrap();
        // A pack that does not parse is left to the run-time loader, which reports it with its
        // location (and the test suite's lint of rules/ fails).
        let code = match serde_saphyr::from_str::<PackSpec>(&text) {
            Ok(spec) => format!("Some({})", pack(i, name, &spec, &mut statics)),
            Err(_) => "None".to_string(),
        };
        writeln!(compiled, "        {i} => {code},").unwrap();
    }
    index.push_str("];\n");
    index.push_str(&texts);
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

/// The statics generated so far. Rules and matchers are named statics rather than promoted
/// literals: a `Pattern` refers to its slot in `REGEXES`, a static, and the pack-level lists
/// are used inside a function, where only statics outlive the call.
///
/// Everything one pack holds, down to its strings, goes into that pack's own link section, so
/// a call reads its tool's rules from a few contiguous pages. Promoted literals would be
/// anonymous constants spread over the binary's read-only data among every other pack's: each
/// 64 KiB the kernel maps around a page fault costs about 7 µs here (README, Performance).
/// `.data.rel.ro.*`, not `.rodata.*`: the data holds pointers, which a position-independent
/// build relocates at start-up. The release build, non-PIE, has nothing to relocate
/// (`GUARD_NON_PIE`): there each pack gets a read-only section outside the RELRO segment,
/// whose few pages every call then reads without the pack's between them.
#[derive(Default)]
struct Statics {
    code: String,
    count: usize,
    patterns: usize,
    /// The `REGEXES` slot of each distinct source: rules that share a pattern share its
    /// compiled regex (the curl pack's Railway URL pattern appears in four rules).
    slots: std::collections::HashMap<String, usize>,
    /// The link section of the pack being generated.
    section: String,
    /// That pack's strings so far, each emitted once: `&S<n>`, by content.
    strings: std::collections::HashMap<String, String>,
}

impl Statics {
    fn start_pack(&mut self, index: usize) {
        self.section = if std::env::var_os("GUARD_NON_PIE").is_some_and(|v| v == "1") {
            // Nothing to relocate: a read-only section of its own (scripts/release-env).
            format!("guard_pack{index}")
        } else {
            format!(".data.rel.ro.guard.pack{index}")
        };
        self.strings.clear();
    }

    /// Emit `static S<n>: ty = value;` in the pack's section and return its name.
    fn emit(&mut self, ty: &str, value: &str) -> String {
        let name = format!("S{}", self.count);
        self.count += 1;
        writeln!(
            self.code,
            "#[unsafe(link_section = {:?})]\nstatic {name}: {ty} = {value};",
            self.section
        )
        .unwrap();
        name
    }

    /// `&S<n>` for `static S<n>: [ty; len] = [items];`.
    fn array(&mut self, ty: &str, items: &[String]) -> String {
        let name = self.emit(
            &format!("[{ty}; {}]", items.len()),
            &format!("[{}]", items.join(", ")),
        );
        format!("&{name}")
    }

    fn one(&mut self, ty: &str, value: String) -> String {
        format!("&{}", self.emit(ty, &value))
    }

    /// A `&[u8]` of the text, in the pack's section.
    fn bytes(&mut self, text: &str) -> String {
        if let Some(name) = self.strings.get(text) {
            return name.clone();
        }
        let name = self.emit(
            &format!("[u8; {}]", text.len()),
            &format!("{:?}", text.as_bytes()),
        );
        let name = format!("&{name}");
        self.strings.insert(text.to_string(), name.clone());
        name
    }

    /// A `&str` of the text, in the pack's section (`utf8` checks it at compile time).
    fn str(&mut self, text: &str) -> String {
        format!("utf8({})", self.bytes(text))
    }

    fn byte_list<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) -> String {
        let items: Vec<String> = items.into_iter().map(|t| self.bytes(t)).collect();
        self.array("&[u8]", &items)
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
            let lits: Vec<&str> = r
                .any_of
                .iter()
                .map(|l| std::str::from_utf8(l).expect("UTF-8 literal"))
                .collect();
            format!(
                "Some(Required {{ at_start: {}, any_of: {} }})",
                r.at_start,
                self.byte_list(lits)
            )
        });
        let source = self.str(source);
        format!("Pattern::lazy_in({source}, {required}, &REGEXES[{slot}])")
    }
}

fn spanned_strs(v: &[serde_saphyr::Spanned<String>]) -> impl Iterator<Item = &str> {
    v.iter().map(|s| s.value.as_str())
}

fn pack(index: usize, name: &str, spec: &PackSpec, st: &mut Statics) -> String {
    st.start_pack(index);
    let label = format!("<bundled>/{name}");
    let rules: Vec<String> = spec
        .rules
        .iter()
        .map(|r| {
            let at = &r.id.referenced;
            let when = conditions(&r.matches.value, st);
            let target = st.byte_list(r.target.iter().flatten().map(|f| f.value.as_str()));
            format!(
                "Rule {{ id: {}, action: {}, reason: {}, \
                 source: Source {{ file: {}, line: {}, column: {} }}, when: {when}, \
                 challenge: {}, target_flags: {target} }}",
                st.str(&r.id.value),
                action(r.action.value),
                st.str(r.reason.value.trim()),
                st.str(&label),
                at.line(),
                at.column(),
                challenge(r.challenge.as_ref().map(|c| c.value)),
            )
        })
        .collect();
    let rules = st.array("Rule", &rules);
    let rules = rules.trim_start_matches('&');
    let tools: Vec<String> = spec.tools.value.iter().map(|t| st.str(t)).collect();
    let tools = st.array("&str", &tools);
    let value_flags = st.byte_list(spanned_strs(&spec.value_flags));
    let content = content(spec.content.as_ref(), st);
    let file = st.str(&label);
    let file = st.emit("&str", &file);
    format!(
        "Pack {{ file: {file}, tools: {tools}, value_flags: {value_flags}, content: {content}, \
         opt_in: {}, default: {}, rules: {rules}.iter().collect(), examples: Vec::new() }}",
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
        format!("Cow::Borrowed({})", st.byte_list(spanned_strs(v)))
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
        let words: Vec<String> = words
            .iter()
            .map(|w| {
                let alts: Vec<&str> = match &w.value {
                    WordSpec::One(one) => vec![one.as_str()],
                    WordSpec::AnyOf(many) => many.iter().map(String::as_str).collect(),
                };
                if alts.contains(&"*") {
                    "WordPattern::Any".to_string()
                } else {
                    format!("WordPattern::OneOf({})", st.byte_list(alts))
                }
            })
            .collect();
        all.push(format!(
            "Matcher::Command({})",
            st.array("WordPattern", &words)
        ));
    }
    if let Some(flags) = &m.flags {
        all.push(format!(
            "Matcher::Flags({})",
            st.byte_list(spanned_strs(flags))
        ));
    }
    if let Some(fv) = &m.flag_value {
        let flags = st.byte_list(spanned_strs(&fv.flags));
        all.push(format!(
            "Matcher::FlagValue {{ flags: {flags}, regex: {} }}",
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
        let classes: Vec<String> = classes
            .value
            .iter()
            .map(|c| format!("SqlClass::{c:?}"))
            .collect();
        all.push(format!("Matcher::Sql({})", st.array("SqlClass", &classes)));
    }
    if let Some(b) = m.sql_unreadable {
        all.push(format!("Matcher::SqlUnreadable({b})"));
    }
    if let Some(b) = m.stdin_piped {
        all.push(format!("Matcher::StdinPiped({b})"));
    }
    if let Some(kinds) = &m.path_is {
        let kinds: Vec<String> = kinds
            .value
            .iter()
            .map(|k| format!("PathKind::{k:?}"))
            .collect();
        all.push(format!("Matcher::PathIs({})", st.array("PathKind", &kinds)));
    }
    if let Some(env) = &m.env {
        let vars: Vec<String> = env
            .iter()
            .map(|(k, v)| format!("({}, {})", st.str(k), st.pattern(&v.value)))
            .collect();
        all.push(format!(
            "Matcher::Env({})",
            st.array("(&str, Pattern)", &vars)
        ));
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
    println!("cargo:rerun-if-env-changed=GUARD_LINK_SCRIPT");
    if let Some(script) = std::env::var_os("GUARD_LINK_SCRIPT").filter(|v| !v.is_empty()) {
        let script = script.to_str().expect("GUARD_LINK_SCRIPT must be UTF-8");
        println!("cargo:rerun-if-changed={script}");
        println!("cargo:rustc-link-arg-bins=-Wl,--script={script}");
    }
    if let Some(order) = std::env::var_os("GUARD_SYMBOL_ORDER").filter(|v| !v.is_empty()) {
        let order = order.to_str().expect("GUARD_SYMBOL_ORDER must be UTF-8");
        println!("cargo:rerun-if-changed={order}");
        println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={order}");
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}
