//! scripts/link-order: the install step that turns the committed hot-function list into
//! this toolchain's symbol names, read from a real lld map's layout.

use assert_cmd::Command;

/// One line of an lld map: VMA, LMA, size, alignment, then the name indented by depth
/// (1: output section, 9: input section, 17: symbol).
fn line(depth: usize, name: &str) -> String {
    format!(
        "{:>16} {:>16} {:>8} {:>5}{}{name}\n",
        "3e6180",
        "3e6180",
        "29e",
        "16",
        " ".repeat(depth)
    )
}

fn lld_map() -> String {
    let lines = [
        (1, ".rodata"),
        (
            9,
            "guard.o:(.rodata._ZN5guard4shim3run17h1111111111111111E)",
        ),
        (17, "guard::shim::run::h1111111111111111"),
        (1, ".text"),
        (9, "libc.a(memcpy.o):(.text)"),
        (17, "memcpy"),
        (17, "__memcpy_sse2"),
        (9, "guard.o:(.text._ZN5guard4shim3run17h0123456789abcdefE)"),
        (17, "guard::shim::run::h0123456789abcdef"),
        (
            9,
            "guard.o:(.text.unlikely._ZN5guard4cold17hfedcba9876543210E)",
        ),
        (17, "guard::cold::hfedcba9876543210"),
        (
            9,
            "guard.o:(.text._ZN5alloc3fmt6format17h2222222222222222E.llvm.12)",
        ),
        (17, "alloc::fmt::format::h2222222222222222 (.12)"),
        (9, "guard.o:(.text._RNvCs1_5alloc7realloc)"),
        (17, "alloc::realloc"),
    ];
    let header = "             VMA              LMA     Size Align Out     In      Symbol\n";
    let body: String = lines
        .iter()
        .map(|(depth, name)| line(*depth, name))
        .collect();
    format!("{header}{body}")
}

fn link_order(map: &str, hot: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("guard.map"), map).unwrap();
    std::fs::write(dir.path().join("hot.txt"), hot).unwrap();
    Command::new("scripts/link-order")
        .arg(dir.path().join("guard.map"))
        .arg(dir.path().join("hot.txt"))
        .assert()
}

#[test]
fn hot_functions_get_this_builds_mangled_names_in_list_order() {
    let hot = "# a comment\nalloc::realloc\nguard::shim::run\nmemcpy\nalloc::fmt::format\nnot::in::this::build\n";
    link_order(&lld_map(), hot).success().stdout(
        // The Rust functions by the mangled names in their sections (hash and LTO copy
        // number included), the C one by its own name; the rodata symbol and the cold
        // function not asked for are left out.
        "_RNvCs1_5alloc7realloc\n\
         _ZN5guard4shim3run17h0123456789abcdefE\n\
         memcpy\n\
         _ZN5alloc3fmt6format17h2222222222222222E.llvm.12\n",
    );
}

#[test]
fn a_map_from_another_linker_gives_no_order() {
    let gnu_ld = "Archive member included to satisfy reference by file (symbol)\n\n\
                  /usr/lib/libc.a(memcpy.o)  guard.o (memcpy)\n";
    link_order(gnu_ld, "memcpy\n").failure().code(1).stdout("");
}
