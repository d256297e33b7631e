#!/usr/bin/env bash
# What guard adds to an intercepted call, against the floor of any PATH shim, in one run.
#
#   benches/shim-overhead.sh [CALLS]     (default 3000; builds what it measures first)
#
# A C driver fork+execs a static no-op tool named `railway` (`railway status`, so guard loads
# and matches the bundled Railway pack), pinned to one CPU. Every variant is called once in
# turn, CALLS times over, so all of them meet the same state of this drifting VM; each
# figure is the mean of a variant's calls with the slowest and fastest tenth left out. The
# ratio is a variant's added cost over direct, divided by the bare shim's:
#   direct       the tool itself
#   bare shim    a static C program that walks PATH past its own directory and execs: the floor
#   guard        the binary scripts/install builds (static, non-PIE on Linux/glibc), bundled packs
#   +3 files     the same, with three user rule files, one of them for railway (a team's own rules)
#   +3, no cache the same with no cache of the user files to be had (index, compiled packs)
#   +10x others  ten user files for other tools holding 10x the bundled rules
#   +10x, no cch the same with no cache to be had
#   static PIE   the same build position-independent (the ASLR trade-off, measured)
#   dynamic      a plain `cargo build --release`
#
# A release build keeps its state under the account's home whatever HOME says, so every call
# measured here is recorded in your own audit log (~/.local/state/guard/audit.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
calls=${1:-3000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
host=$(rustc -vV | sed -n 's/^host: //p')

# The three builds, each into its own target directory so none relinks another.
. benches/build.sh
release_guard "$work/guard"
RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked --quiet --target "$host" --target-dir target/bench-pie
cp "target/bench-pie/$host/release/guard" "$work/guard-pie"
cargo build --release --locked --quiet
cp target/release/guard "$work/guard-dynamic"
# Every binary runs from a copy, as `cargo install` leaves it: the kernel caches a file the
# linker wrote through mmap in small pages, and a copied one in large folios.

mkdir -p "$work/bin" "$work/bare" "$work/home"
printf 'int main(void){return 0;}\n' > "$work/noop.c"
gcc -O2 -static -o "$work/bin/railway" "$work/noop.c"
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
for v in guard guard-pie guard-dynamic; do
    mkdir -p "$work/$v-shims"
    ln -s "$work/$v" "$work/$v-shims/railway"
done

# Rule layers. A rule file of $2 rules for tool $1.
pack() {
    echo "tools: [$1]"
    echo "rules:"
    for j in $(seq 1 "$2"); do
        printf '  - id: %s.r%s\n    action: deny\n    reason: r\n    match: {command: [w%s], arg: %s}\n    examples: ["%s w%s x"]\n' \
            "$1" "$j" "$j" "'(?i)^x'" "$1" "$j"
    done
}
rules=$(cat rules/*.yaml | grep -c '^  - id:')
mkdir -p "$work/none" "$work/common/guard/rules" "$work/tenx/guard/rules"
# The common configuration: a team's own rules for the invoked tool and two other tools.
cat > "$work/common/guard/rules/railway.yaml" <<'YAML'
# Our team's Railway rules.
tools: [railway]
rules:
  - id: team.railway.prod-up
    action: confirm
    reason: Deploys to production need a second pair of eyes.
    match:
      command: [up]
      flag_value: {flags: [-e, --environment], regex: '(?i)^prod'}
    examples: ["railway up -e production"]
  - id: team.railway.variables-delete
    action: deny
    reason: Shared variables are managed in the infra repository.
    match: {command: [variables, delete]}
    examples: ["railway variables delete X"]
  - id: team.railway.link-prod
    action: confirm
    reason: Linking the production project is rarely what you meant.
    match: {command: [link], arg: '(?i)prod'}
    examples: ["railway link prod-app"]
YAML
pack terraform 5 > "$work/common/guard/rules/terraform.yaml"
pack kubectl 5 > "$work/common/guard/rules/kubectl.yaml"
for i in $(seq 1 10); do pack "other$i" "$rules" > "$work/tenx/guard/rules/other$i.yaml"; done

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
/* argv: N, then per variant PROGRAM and ENV ("K=V K=V": replaces or adds those variables). */
int main(int argc, char **argv) {
    int n = atoi(argv[1]), k = (argc - 2) / 2;
    cpu_set_t cpu; CPU_ZERO(&cpu); CPU_SET(0, &cpu); sched_setaffinity(0, sizeof cpu, &cpu);
    int c = 0; while (environ[c]) c++;
    char ***envs = calloc(k, sizeof *envs);
    for (int j = 0; j < k; j++) {
        char *spec = strdup(argv[3 + 2 * j]), *save = NULL, *over[16]; int o = 0;
        for (char *kv = strtok_r(spec, " ", &save); kv && o < 16; kv = strtok_r(NULL, " ", &save)) over[o++] = kv;
        char **e = calloc(c + o + 1, sizeof *e); int m = 0;
        for (int i = 0; i < c; i++) {
            int replaced = 0;
            for (int q = 0; q < o; q++) {
                size_t len = strchr(over[q], '=') - over[q] + 1;
                if (strncmp(environ[i], over[q], len) == 0) replaced = 1;
            }
            if (!replaced) e[m++] = environ[i];
        }
        for (int q = 0; q < o; q++) e[m++] = over[q];
        envs[j] = e;
    }
    double *t = calloc((size_t)n * k, sizeof *t);
    char *av[] = {"railway", "status", NULL};
    for (int i = 0; i < n; i++)
        for (int j = 0; j < k; j++) {
            double a = now();
            pid_t p = fork();
            if (p == 0) { execve(argv[2 + 2 * j], av, envs[j]); _exit(127); }
            int st; waitpid(p, &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "variant %d: call failed\n", j); return 1; }
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

export HOME="$work/home" XDG_DATA_HOME="$work/home/.local/share" XDG_STATE_HOME="$work/home/.local/state"
tail=$work/bin:/usr/bin:/bin
# variant NAME PROGRAM ENV...
names=() args=()
variant() { names+=("$1"); args+=("$2" "$3"); }
through() { # shims config-home cache-home
    echo "PATH=$work/$1-shims:$tail GUARD_SHIM_DIR=$work/$1-shims XDG_CONFIG_HOME=$2 XDG_CACHE_HOME=$3"
}
variant direct "$work/bin/railway" "PATH=$tail"
variant "bare shim" "$work/bare/railway" "PATH=$work/bare:$tail"
variant guard "$work/guard-shims/railway" "$(through guard "$work/none" "$work/cache-none")"
variant "+3 files" "$work/guard-shims/railway" "$(through guard "$work/common" "$work/cache-common")"
variant "+3, no cache" "$work/guard-shims/railway" "$(through guard "$work/common" /dev/null/none)"
variant "+10x others" "$work/guard-shims/railway" "$(through guard "$work/tenx" "$work/cache-tenx")"
variant "+10x, no cch" "$work/guard-shims/railway" "$(through guard "$work/tenx" /dev/null/none)"
variant "static PIE" "$work/guard-pie-shims/railway" "$(through guard-pie "$work/none" "$work/cache-none")"
variant dynamic "$work/guard-dynamic-shims/railway" "$(through guard-dynamic "$work/none" "$work/cache-none")"

# Warm up: each variant once. The cache of user rule files vouches only for files older than
# its settling time (3 s), so it is written on the first call after that.
sleep 4
"$work/interleave" 3 "${args[@]}" > /dev/null
echo "machine: $(nproc) cores, $(uname -sr); $calls interleaved calls per variant; $rules bundled rules"
"$work/interleave" "$calls" "${args[@]}" | tr ' ' '\n' | {
    mapfile -t ms
    printf '%-14s %9s %9s %7s\n' variant "ms/call" added ratio
    for j in "${!names[@]}"; do
        awk -v name="${names[$j]}" -v m="${ms[$j]}" -v d="${ms[0]}" -v b="${ms[1]}" 'BEGIN {
            printf "%-14s %9.3f %+9.3f %6.2fx\n", name, m, m - d, (m - d) / (b - d) }'
    done
}
