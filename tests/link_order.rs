//! scripts/link-order: the install step that turns the committed hot-path lists into this
//! toolchain's symbol names and section names, read from a real lld map's layout.

use assert_cmd::Command;

/// One line of an lld map: VMA, LMA, size, alignment, then the name indented by depth
/// (1: output section, 9: input section, 17: symbol).
fn line(depth: usize, size: &str, name: &str) -> String {
    format!(
        "{:>16} {:>16} {:>8} {:>5}{}{name}\n",
        "3e6180",
        "3e6180",
        size,
        "16",
        " ".repeat(depth)
    )
}

fn lld_map() -> String {
    let lines = [
        (1, "29e", ".rodata"),
        (9, "20", "<internal>:(.rodata.cst16)"),
        (9, "360", "/usr/lib/libc.a(libc-start.o):(.rodata)"),
        (
            9,
            "60",
            "guard.o:(.rodata._ZN5guard4shim3run17h0123456789abcdefE)",
        ),
        (
            9,
            "18",
            "guard.o:(.rodata..Lswitch.table._ZN5guard4shim3run17h0123456789abcdefE.12)",
        ),
        (
            9,
            "100",
            "guard.o:(.rodata._ZN4json6ESCAPE17h3333333333333333E)",
        ),
        (17, "0", "json::ESCAPE::h3333333333333333"),
        (
            9,
            "5",
            "guard.o:(.rodata..Lanon.0123456789abcdef0123456789abcdef.7)",
        ),
        (
            9,
            "29e",
            "guard.o:(.rodata._ZN5guard4shim3run17h1111111111111111E)",
        ),
        (17, "0", "guard::shim::run::h1111111111111111"),
        (1, "29e", ".text"),
        (9, "40", "libc.a(memcpy.o):(.text)"),
        (17, "0", "memcpy"),
        (17, "0", "__memcpy_sse2"),
        (
            9,
            "29e",
            "guard.o:(.text._ZN5guard4shim3run17h0123456789abcdefE)",
        ),
        (17, "0", "guard::shim::run::h0123456789abcdef"),
        (
            9,
            "10",
            "guard.o:(.text.unlikely._ZN5guard4cold17hfedcba9876543210E)",
        ),
        (17, "0", "guard::cold::hfedcba9876543210"),
        (
            9,
            "5a",
            "guard.o:(.text._ZN5alloc3fmt6format17h2222222222222222E.llvm.12)",
        ),
        (17, "0", "alloc::fmt::format::h2222222222222222 (.12)"),
        (
            9,
            "7b",
            "guard.o:(.text._ZN5alloc3fmt6format17h4444444444444444E)",
        ),
        (17, "0", "alloc::fmt::format::h4444444444444444"),
        (9, "80", "guard.o:(.text._RNvCs1_5alloc7realloc)"),
        (17, "0", "alloc::realloc"),
    ];
    let header = "             VMA              LMA     Size Align Out     In      Symbol\n";
    let body: String = lines
        .iter()
        .map(|(depth, size, name)| line(*depth, size, name))
        .collect();
    format!("{header}{body}")
}

fn link_order(args: &[&str], map: &str, hot: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("guard.map"), map).unwrap();
    std::fs::write(dir.path().join("hot.txt"), hot).unwrap();
    Command::new("scripts/link-order")
        .args(args)
        .arg(dir.path().join("guard.map"))
        .arg(dir.path().join("hot.txt"))
        .assert()
}

#[test]
fn hot_functions_get_this_builds_mangled_names_in_list_order() {
    let hot = "# a comment\nalloc::realloc\nguard::shim::run\nmemcpy\nalloc::fmt::format\nnot::in::this::build\n";
    link_order(&[], &lld_map(), hot).success().stdout(
        // The Rust functions by the mangled names in their sections (hash and LTO copy
        // number included), the C one by its own name; the rodata symbol and the cold
        // function not asked for are left out.
        "_RNvCs1_5alloc7realloc\n\
         _ZN5guard4shim3run17h0123456789abcdefE\n\
         memcpy\n\
         _ZN5alloc3fmt6format17h2222222222222222E.llvm.12\n\
         _ZN5alloc3fmt6format17h4444444444444444E\n",
    );
}

#[test]
fn listed_sizes_pick_a_generic_functions_instances_unless_none_has_them() {
    // Two instances of alloc::fmt::format: 0x5a = 90 bytes and 0x7b = 123 bytes.
    link_order(&[], &lld_map(), "alloc::fmt::format\t123\n")
        .success()
        .stdout("_ZN5alloc3fmt6format17h4444444444444444E\n");
    link_order(&[], &lld_map(), "alloc::fmt::format\t90,123\n")
        .success()
        .stdout(
            "_ZN5alloc3fmt6format17h2222222222222222E.llvm.12\n\
             _ZN5alloc3fmt6format17h4444444444444444E\n",
        );
    // Another compiler built other sizes: every instance, as without sizes.
    link_order(&[], &lld_map(), "alloc::fmt::format\t7\n")
        .success()
        .stdout(
            "_ZN5alloc3fmt6format17h2222222222222222E.llvm.12\n\
             _ZN5alloc3fmt6format17h4444444444444444E\n",
        );
}

#[test]
fn hot_data_becomes_a_partial_linker_script_in_list_order() {
    let hot = "# a comment\n\
               json::ESCAPE .rodata\n\
               guard::shim::run .rodata..Lswitch.table\n\
               libc.a(libc-start.o) .rodata\n\
               guard::shim::run .rodata\t96\n\
               <merged> .rodata.cst16\n\
               not::here .rodata\n";
    // The jump tables of the instance of 96 bytes only; the anonymous constant never.
    link_order(&["--script"], &lld_map(), hot).success().stdout(
        "SECTIONS {\n  .rodata.hot : {\n\
         \x20   *(.rodata._ZN4json6ESCAPE17h3333333333333333E)\n\
         \x20   *(.rodata..Lswitch.table._ZN5guard4shim3run17h0123456789abcdefE.12)\n\
         \x20   *libc.a:libc-start.o(.rodata)\n\
         \x20   *(.rodata._ZN5guard4shim3run17h0123456789abcdefE)\n\
         \x20   *(.rodata.cst16)\n\
         \x20 }\n}\nINSERT BEFORE .rodata;\n",
    );
}

#[test]
fn hot_data_this_build_lacks_gives_an_empty_script() {
    link_order(&["--script"], &lld_map(), "not::here .rodata\n")
        .success()
        .stdout("");
}

#[test]
fn a_static_glibc_builds_start_up_code_moves_in_front_of_the_hot_functions() {
    let map = format!("{}{}", lld_map(), line(1, "1e0", ".iplt"));
    link_order(&["--script"], &map, "not::here .rodata\n")
        .success()
        .stdout(
            "SECTIONS {\n\
             \x20 .init : { KEEP(*(SORT_NONE(.init))) }\n\
             \x20 .iplt : { *(.iplt) }\n\
             }\nINSERT BEFORE .text;\n",
        );
}

#[test]
fn a_map_from_another_linker_gives_no_order() {
    let gnu_ld = "Archive member included to satisfy reference by file (symbol)\n\n\
                  /usr/lib/libc.a(memcpy.o)  guard.o (memcpy)\n";
    link_order(&[], gnu_ld, "memcpy\n")
        .failure()
        .code(1)
        .stdout("");
    link_order(&["--script"], gnu_ld, "memcpy .text\n")
        .failure()
        .code(1)
        .stdout("");
}
