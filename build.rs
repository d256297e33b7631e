//! Embeds the bundled packs (`rules/*.yaml`) and indexes them by tool, so an intercepted call
//! parses only the packs that name its tool. The index reads each pack's one-line
//! `tools: [a, b]`; a unit test checks it against the fully parsed packs.

use std::fmt::Write as _;
use std::path::Path;

include!("src/rules/tools_line.rs");

fn main() {
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=src/rules/tools_line.rs");
    let mut entries: Vec<_> = std::fs::read_dir("rules")
        .expect("rules/ directory")
        .map(|e| e.expect("readable rules/ entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    entries.sort();
    let mut out = String::from("pub static BUNDLED: &[BundledPack] = &[\n");
    for path in &entries {
        let text = std::fs::read_to_string(path).expect("UTF-8 pack");
        let tools = tools_line(&text).unwrap_or_else(|| {
            panic!(
                "{}: bundled packs need a one-line `tools: [a, b]`",
                path.display()
            )
        });
        let name = path.file_name().unwrap().to_str().unwrap();
        let abs = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        writeln!(
            out,
            "    BundledPack {{ name: {name:?}, tools: &{tools:?}, text: include_str!({abs:?}) }},"
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("bundled.rs");
    std::fs::write(dest, out).unwrap();
}
