#!/usr/bin/env bash
# What guard costs per intercepted call, against the floor of any PATH shim, in one run.
#
# Times N calls of a no-op tool named `railway` (so guard loads and matches the bundled
# Railway pack) running `railway status`: direct, through a minimal static C shim that only
# walks PATH and execs (the floor: one extra execve), and through guard with every bundled
# pack compiled in. Prints each per-call time and guard's added cost as a ratio to the bare
# shim's, then repeats with 10x the rules in user files for other tools: in ten files with
# the user files' index (`rules::index`) in its steady state, in one file likewise, and in
# ten files with no index to be had.
#
#   benches/shim-overhead.sh [N [ROUNDS [CALLS]]]
#       (default 400 calls x 41 rounds, and 3000 interleaved calls; builds guard first)
#
# Two methods, each with every variant in the same run. Rounds: N calls of one variant,
# then the next, ROUNDS times over. Interleaved: each variant once in turn, CALLS times
# over, so every variant's calls meet the same state of the machine. Their floors differ
# (a call right after the same binary finds more of it cached), so the README gives both.
#
# "guard" is the binary scripts/install builds (scripts/build-release: static and non-PIE on
# Linux/glibc, its hot path linked together). For comparison: "unordered" is the same build
# without that layout, "10x packs" the same build with ten more bundled packs (10x the
# rules, for other tools), "dynamic" a plain `cargo build --release`. Four release builds.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-400}
rounds=${2:-41}
calls=${3:-3000}
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

# The second method: every variant called in turn, call by call, so each call of each
# variant meets the same machine (caches, TLB, the VM's speed of the moment) as the others.
# Prints each variant's mean per-call time, the slowest and fastest tenth of its calls left
# out. Arguments: N, then PROGRAM PATH SHIM_DIR per variant.
cat > "$work/interleave.c" <<'C'
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char **environ;
static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}
static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y);
}
static char *var(const char *name, const char *value) {
    char *s = malloc(strlen(name) + strlen(value) + 2); sprintf(s, "%s=%s", name, value); return s;
}
int main(int argc, char **argv) {
    int n = atoi(argv[1]), k = (argc - 2) / 3;
    cpu_set_t cpu; CPU_ZERO(&cpu); CPU_SET(0, &cpu); sched_setaffinity(0, sizeof cpu, &cpu);
    int c = 0; while (environ[c]) c++;
    char ***envs = calloc(k, sizeof *envs);
    for (int j = 0; j < k; j++) {
        char **e = calloc(c + 3, sizeof *e); int m = 0;
        for (int i = 0; i < c; i++)
            if (strncmp(environ[i], "PATH=", 5) && strncmp(environ[i], "GUARD_SHIM_DIR=", 15)) e[m++] = environ[i];
        e[m++] = var("PATH", argv[3 + 3 * j]); e[m++] = var("GUARD_SHIM_DIR", argv[4 + 3 * j]);
        envs[j] = e;
    }
    double *t = calloc((size_t)n * k, sizeof *t);
    char *av[] = {"railway", "status", NULL};
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            double a = now();
            pid_t p = fork();
            if (p == 0) { execve(argv[2 + 3 * j], av, envs[j]); _exit(127); }
            int st; waitpid(p, &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "call failed\n"); return 1; }
            t[(size_t)j * n + i] = now() - a;
        }
    for (int j = 0; j < k; j++) {
        double *v = t + (size_t)j * n, sum = 0;
        qsort(v, n, sizeof *v, cmp);
        for (int i = n / 10; i < n - n / 10; i++) sum += v[i];
        printf("%s%.4f", j ? " " : "", sum / (n - 2 * (n / 10)));
    }
    printf("\n");
    return 0;
}
C
gcc -O2 -o "$work/interleave" "$work/interleave.c"

measure() { # PATH, program: per-call ms of N calls
    PATH="$1" "$work/drive" "$n" "$2" railway status
}

through() { # variant: per-call ms through its shim
    GUARD_SHIM_DIR="$work/$1-shims" measure "$work/$1-shims:$work/bin:/usr/bin:/bin" "$work/$1-shims/railway"
}

# Each variant is measured in ROUNDS interleaved rounds of N calls. Figures are medians over
# the rounds, so a burst of noise on this shared VM lands in one round instead of in one
# variant. The ratio is the median of each round's own ratio: the VM's speed drifts by 30%
# between rounds, and the variants of one round ran within seconds of each other.
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
    paste <(printf '%s\n' "${direct[@]}") <(printf '%s\n' "${bare[@]}") \
        <(printf '%s\n' "${guard[@]}") <(printf '%s\n' "${unordered[@]}") \
        <(printf '%s\n' "${bundled10[@]}") <(printf '%s\n' "${dynamic[@]}") |
        awk -v label="$1" '
    function median(col, n,   i, j, v, x) { # of column col over n rounds (mawk has no sort)
        for (i = 1; i <= n; i++) {
            x = col[i]
            for (j = i - 1; j >= 1 && v[j] > x; j--) v[j + 1] = v[j]
            v[j + 1] = x
        }
        return v[int((n + 1) / 2)]
    }
    function column(j,   i) { for (i = 1; i <= NR; i++) c[i] = t[i, j]; return median(c, NR) }
    function ratio(j,   i) {
        for (i = 1; i <= NR; i++) c[i] = (t[i, j] - t[i, 1]) / (t[i, 2] - t[i, 1])
        return median(c, NR)
    }
    { for (j = 1; j <= NF; j++) t[NR, j] = $j }
    END {
        d = column(1); b = column(2)
        printf "%s: direct %.3f ms | bare shim %.3f ms (+%.3f)\n", label, d, b, b - d
        split("guard unordered 10x-packs dynamic", name, " ")
        split("|  no hot-path layout|  ten more bundled packs, for other tools|  plain cargo build --release", note, "|")
        for (j = 3; j <= 6; j++) {
            m = column(j)
            printf "  %-10s %.3f ms (+%.3f) %.2fx the bare shim'"'"'s added cost%s\n", name[j - 2], m, m - d, ratio(j), note[j - 2]
        }
    }'
}

# The interleaved method, for every variant: mean ms per call and the added-cost ratio.
interleaved() {
    local args=("$work/bin/railway" "$work/bin:/usr/bin:/bin" "$work/none"
        "$work/bare/railway" "$work/bare:$work/bin:/usr/bin:/bin" "$work/none") v
    for v in guard guard-unordered guard-10x-bundled guard-dynamic; do
        args+=("$work/$v-shims/railway" "$work/$v-shims:$work/bin:/usr/bin:/bin" "$work/$v-shims")
    done
    "$work/interleave" "$calls" "${args[@]}" | awk '{
        printf "  interleaved, %d calls each: direct %.3f ms | bare shim %.3f ms (+%.3f)\n", '"$calls"', $1, $2, $2 - $1
        split("guard unordered 10x-packs dynamic", name, " ")
        for (j = 3; j <= NF; j++)
            printf "    %-10s %.3f ms (+%.3f) %.2fx the bare shim'"'"'s added cost\n", name[j - 2], $j, $j - $1, ($j - $1) / ($2 - $1)
    }'
}

echo "machine: $(nproc) cores, $(uname -sr); median of $rounds rounds of $n calls each"
run_all "bundled packs"
interleaved

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
interleaved

# The same 10x in one user file, for all ten other tools: one stat, where ten files cost ten.
mkdir -p "$work/one/guard/rules"
{
    echo "tools: [$(seq -s ', ' -f 'other%g' 1 10)]"
    echo "rules:"
    for i in $(seq 1 10); do pack "$i" "$rules" | tail -n +3; done
} > "$work/one/guard/rules/others.yaml"
sleep 4
XDG_CONFIG_HOME="$work/one" through guard > /dev/null
XDG_CONFIG_HOME="$work/one" run_all "10x rules (one user file, indexed)"
XDG_CONFIG_HOME="$work/one" interleaved

# Ten files again, with no index to be had (its directory cannot be created): each file
# costs an open and a read of its head per call, for its one-line `tools:`.
rm -rf "$XDG_CACHE_HOME"
export XDG_CACHE_HOME=/dev/null/no-cache
run_all "10x rules (user layer, no index)"
interleaved
