#!/usr/bin/env bash
# What guard costs per intercepted call, against the floor of any PATH shim, in one run.
#
# Times N calls of a no-op tool named `railway` (so guard loads and matches the bundled
# Railway pack) running `railway status`: direct, through a minimal static C shim that only
# walks PATH and execs (the floor: one extra execve), and through guard with every bundled
# pack compiled in. Prints each per-call time and guard's added cost as a ratio to the bare
# shim's, then repeats with 10x the rules in user files for other tools: once with the user
# files' index (`rules::index`) in its steady state, once with no index to be had.
#
#   benches/shim-overhead.sh [N [ROUNDS]]   (default 1000 calls x 9 rounds; builds guard first)
#
# "guard" is the binary scripts/install builds (scripts/build-release: static and non-PIE on
# Linux/glibc, its hot path linked together). For comparison: "unordered" is the same build
# without that layout, "10x packs" the same build with ten more bundled packs (10x the
# rules, for other tools), "dynamic" a plain `cargo build --release`. Four release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
rounds=${2:-9}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A pack of $2 rules for tool other$1 (the 10x cases below).
pack() {
    echo "tools: [other$1]"
    echo "rules:"
    for j in $(seq 1 "$2"); do
        printf '  - id: other%s.r%s\n    action: deny\n    reason: r\n    match: {command: [w%s], arg: %s}\n    examples: ["other%s w%s x"]\n' \
            "$1" "$j" "$j" "'(?i)^x'" "$1" "$j"
    done
}
rules=$(cat rules/*.yaml | grep -c '^  - id:')

cargo build --release --locked --quiet
mkdir -p "$work/bin" "$work/bare" "$work/home"
# 10x the rules, bundled: the same build from a copy of the source with ten more packs, for
# other tools. A call finds its tool's packs by a generated index and never reads the others.
mkdir -p "$work/src-10x"
cp -r Cargo.toml Cargo.lock build.rs src rules benches tests scripts "$work/src-10x/"
for i in $(seq 1 10); do pack "$i" "$rules" > "$work/src-10x/rules/other$i.yaml"; done
# Its own target directory: cargo would share build.rs output between the two source trees
# (the package is the same), and a later build here would include the deleted copy's packs.
cp "$(CARGO_TARGET_DIR=$PWD/target/bench-10x "$work/src-10x/scripts/build-release")" "$work/guard-10x-bundled"
built=$(scripts/build-release --keep-unordered "$work/guard-unordered")
# Every variant runs from a copy, as `cargo install` leaves it. The kernel caches a file the
# linker wrote through mmap in small pages and a copied one in large folios, which need
# fewer page faults to map: a binary straight from target/ would be measured at a handicap.
cp "$built" "$work/guard"
cp target/release/guard "$work/guard-dynamic"
guard_bin=$work/guard

# The no-op "real" tool, static so its own start-up is as small as possible.
printf 'int main(void){return 0;}\n' > "$work/noop.c"
gcc -O2 -static -o "$work/bin/railway" "$work/noop.c"

# The floor: a static C shim that finds the next `noop` on PATH after its own dir and execs it.
cat > "$work/bare.c" <<'C'
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    (void)argc;
    char self[PATH_MAX], dir[PATH_MAX], cand[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) return 126;
    self[n] = 0;
    char *slash = strrchr(self, '/'); *slash = 0;
    const char *name = strrchr(argv[0], '/'); name = name ? name + 1 : argv[0];
    char *path = strdup(getenv("PATH")), *save = NULL;
    for (char *d = strtok_r(path, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        if (!realpath(d, dir) || strcmp(dir, self) == 0) continue;
        snprintf(cand, sizeof cand, "%s/%s", d, name);
        if (access(cand, X_OK) == 0) { execv(cand, argv); return 126; }
    }
    return 127;
}
C
gcc -O2 -static -o "$work/bare/bare-shim" "$work/bare.c"
ln -s bare-shim "$work/bare/railway"

# guard's shim, installed the way a user does it.
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
export XDG_STATE_HOME="$work/home/.local/state" XDG_CACHE_HOME="$work/home/.cache"
export GUARD_SHIM_DIR="$work/guard-shims"
for v in guard guard-unordered guard-10x-bundled guard-dynamic; do
    mkdir -p "$work/$v-shims"
    ln -s "$work/$v" "$work/$v-shims/railway"
done

# The timing driver: fork+exec N times and wait, no shell in between, pinned to one CPU so
# the scheduler moving processes between cores does not add noise.
cat > "$work/drive.c" <<'C'
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int n = atoi(argv[1]);
    cpu_set_t cpu; CPU_ZERO(&cpu); CPU_SET(0, &cpu); sched_setaffinity(0, sizeof cpu, &cpu);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < n; i++) {
        pid_t p = fork();
        if (p == 0) { execv(argv[2], argv + 2); _exit(127); }
        int st; waitpid(p, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "call failed\n"); return 1; }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.4f\n", ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / n);
    return 0;
}
C
gcc -O2 -o "$work/drive" "$work/drive.c"

measure() { # PATH, program: per-call ms of N calls
    PATH="$1" "$work/drive" "$n" "$2" railway status
}

through() { # variant: per-call ms through its shim
    GUARD_SHIM_DIR="$work/$1-shims" measure "$work/$1-shims:$work/bin:/usr/bin:/bin" "$work/$1-shims/railway"
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# Each variant is measured in ROUNDS interleaved rounds of N calls; the median round counts,
# so a burst of noise on this shared VM lands in one round instead of in one variant.
run_all() {
    local r direct=() bare=() guard=() unordered=() bundled10=() dynamic=()
    for r in $(seq 1 "$rounds"); do
        direct+=("$(measure "$work/bin:/usr/bin:/bin" "$work/bin/railway")")
        bare+=("$(measure "$work/bare:$work/bin:/usr/bin:/bin" "$work/bare/railway")")
        guard+=("$(through guard)")
        unordered+=("$(through guard-unordered)")
        bundled10+=("$(through guard-10x-bundled)")
        dynamic+=("$(through guard-dynamic)")
    done
    awk -v label="$1" \
        -v d="$(printf '%s\n' "${direct[@]}" | median)" \
        -v b="$(printf '%s\n' "${bare[@]}" | median)" \
        -v g="$(printf '%s\n' "${guard[@]}" | median)" \
        -v u="$(printf '%s\n' "${unordered[@]}" | median)" \
        -v t="$(printf '%s\n' "${bundled10[@]}" | median)" \
        -v s="$(printf '%s\n' "${dynamic[@]}" | median)" 'BEGIN {
        printf "%s: direct %.3f ms | bare shim %.3f ms (+%.3f)\n", label, d, b, b - d
        printf "  guard     %.3f ms (+%.3f, %.2fx the bare shim'"'"'s added cost)\n", g, g - d, (g - d) / (b - d)
        printf "  unordered %.3f ms (+%.3f, %.2fx)  no hot-path layout\n", u, u - d, (u - d) / (b - d)
        printf "  10x packs %.3f ms (+%.3f, %.2fx)  ten more bundled packs, for other tools\n", t, t - d, (t - d) / (b - d)
        printf "  dynamic   %.3f ms (+%.3f, %.2fx)  plain cargo build --release\n", s, s - d, (s - d) / (b - d) }'
}

echo "machine: $(nproc) cores, $(uname -sr); median of $rounds rounds of $n calls each"
run_all "bundled packs"

# 10x the rules in user files for other tools. Once the files are older than the index's
# 3 s settling time, one call indexes them and every later call stats them instead of
# reading their heads.
mkdir -p "$XDG_CONFIG_HOME/guard/rules"
for i in $(seq 1 10); do pack "$i" "$rules" > "$XDG_CONFIG_HOME/guard/rules/other$i.yaml"; done
echo "rules in effect: $("$guard_bin" rules | wc -l)"
sleep 4
through guard > /dev/null
grep -c '^file ' "$XDG_CACHE_HOME/guard/rules-index" | sed 's/^/files indexed: /'
run_all "10x rules (user layer, indexed)"

# The same with no index to be had (its directory cannot be created): each file costs an
# open and a read of its head per call, for its one-line `tools:`.
rm -rf "$XDG_CACHE_HOME"
export XDG_CACHE_HOME=/dev/null/no-cache
run_all "10x rules (user layer, no index)"
