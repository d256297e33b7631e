# Sourced by the benchmark scripts: build guard as scripts/install does on Linux with glibc
# (static, non-PIE) and copy it to DEST. A copy, as `cargo install` leaves it: the kernel
# caches a file the linker wrote through mmap in small pages, and a copied one in large folios.
#
#   release_guard DEST
release_guard() {
    local host
    host=$(rustc -vV | sed -n 's/^host: //p')
    RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" \
        cargo build --release --locked --quiet --target "$host"
    cp "target/$host/release/guard" "$1"
}
