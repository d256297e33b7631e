//! Compiles the bundled packs (`rules/*.yaml`) with guard's own compiler (`rules::compile`)
//! and writes the result as statics (`rules::emit`), so an intercepted call parses no YAML and
//! builds no rules: `$OUT_DIR/bundled.rs`, included by `rules::bundled`.
//!
//! A pack with an error fails the build with the same diagnostic `guard lint` prints.

use std::fmt::Write as _;
use std::path::Path;

/// The compiler and the compiled types, as the crate has them: one compiler, not a mirror.
#[allow(dead_code)]
mod rules {
    #[path = "../src/rules/compile.rs"]
    pub mod compile;
    #[path = "../src/rules/compiled.rs"]
    pub mod compiled;
    #[path = "../src/rules/diagnostic.rs"]
    pub mod diagnostic;
    #[path = "../src/rules/emit.rs"]
    pub mod emit;
    #[path = "../src/rules/model.rs"]
    pub mod model;
    #[path = "../src/rules/prefilter.rs"]
    pub mod prefilter;
}

use rules::compile::{RegexCheck, compile_pack};
use rules::emit::{Emit, Emitter};

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let mut paths: Vec<_> = std::fs::read_dir("rules")
        .expect("rules/ directory")
        .map(|e| e.expect("readable rules/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    let mut index = String::from("pub static BUNDLED: &[BundledPack] = &[\n");
    let mut compiled = String::from(
        "/// Bundled pack `index` of `BUNDLED`, compiled at build time.\n\
         pub fn compiled(index: usize) -> Option<Pack> {\n    match index {\n",
    );
    let mut emitter = Emitter::default();
    let mut failed = false;
    for (i, path) in paths.iter().enumerate() {
        let name = path.file_name().unwrap().to_str().expect("UTF-8 pack name");
        let text = std::fs::read_to_string(path).expect("UTF-8 pack");
        let mut diags = Vec::new();
        let pack = compile_pack(
            &format!("<bundled>/{name}"),
            &text,
            RegexCheck::Syntax,
            &mut diags,
        );
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        let Some(pack) = pack.filter(|_| errors.is_empty()) else {
            for d in errors {
                println!("cargo:warning={d}");
            }
            failed = true;
            continue;
        };
        let abs = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        writeln!(
            index,
            "    BundledPack {{ name: {name:?}, tools: &{:?}, text: include_str!({abs:?}) }},",
            pack.tools
        )
        .unwrap();
        writeln!(
            compiled,
            "        {i} => Some({}),",
            pack.emit(&mut emitter)
        )
        .unwrap();
    }
    if failed {
        panic!("a bundled pack has errors (above); `guard lint rules/` shows them in full");
    }
    index.push_str("];\n");
    compiled.push_str("        _ => None,\n    }\n}\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("bundled.rs");
    std::fs::write(out, index + &compiled + &emitter.finish()).unwrap();
}
