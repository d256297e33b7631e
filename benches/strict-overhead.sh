#!/usr/bin/env bash
# What `guard run --strict` costs the processes it supervises, against the same work run
# without it, in one run.
#
#   benches/strict-overhead.sh [ROUNDS]     (default 7; builds what it measures first)
#
# The binary is the one scripts/install builds. Each round runs every workload once bare and
# once under `guard run --strict`, alternating, so both meet the same state of this drifting
# VM; each figure is the median over the rounds.
#   spawn    a C driver fork+execs a static no-op and waits, 2,000 times: per-spawn cost
#            (the gate's round trip, the verifier's exec stop, ptrace's fork events)
#   signal   the driver sends itself a handled SIGUSR1 20,000 times: per-signal cost (every
#            signal to a traced process stops it and goes through guard)
#   make     `make -j2` of 300 trivial recipes (make execs each /bin/true itself): wall time
#   loop     a bash loop running /bin/true 500 times: wall time
# Budgets: spawn at most 2x bare; an exec-heavy job (make, loop) at most 1.5x.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. benches/build.sh
release_guard "$work/guard"
printf 'int main(void){return 0;}\n' > "$work/noop.c"
gcc -O2 -static -o "$work/noop" "$work/noop.c"
cat > "$work/drive.c" <<'C'
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) {
    struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}
static volatile int got;
static void on(int s) { (void)s; got++; }
/* drive spawn N PROGRAM | drive signal N: prints microseconds per operation */
int main(int argc, char **argv) {
    int n = atoi(argv[2]);
    double a = now();
    if (!strcmp(argv[1], "spawn")) {
        char *av[] = {argv[3], NULL};
        for (int i = 0; i < n; i++) {
            pid_t p = fork();
            if (p == 0) { execv(argv[3], av); _exit(127); }
            int st; waitpid(p, &st, 0);
            if (!WIFEXITED(st) || WEXITSTATUS(st)) { fprintf(stderr, "spawn failed\n"); return 1; }
        }
    } else {
        signal(SIGUSR1, on);
        for (int i = 0; i < n; i++) kill(getpid(), SIGUSR1);
        if (got != n) { fprintf(stderr, "lost signals\n"); return 1; }
    }
    printf("%.2f\n", (now() - a) / n);
    return 0;
}
C
gcc -O2 -o "$work/drive" "$work/drive.c"
{
    printf 'all:'
    for i in $(seq 1 300); do printf ' t%s' "$i"; done
    printf '\n'
    for i in $(seq 1 300); do printf 't%s:\n\t@/bin/true\n' "$i"; done
} > "$work/Makefile"
export HOME="$work/home" GUARD_SHIM_DIR="$work/shims"
mkdir -p "$HOME" "$GUARD_SHIM_DIR"
strict=("$work/guard" run --strict --)
ms() { local a b; a=$(date +%s%N); "$@" > /dev/null; b=$(date +%s%N); echo $(((b - a) / 1000000)); }
loop=(bash -c 'for i in $(seq 500); do /bin/true; done')
declare -a sb ss gb gs mb ms_ lb ls
for r in $(seq 1 "$rounds"); do
    sb+=("$("$work/drive" spawn 2000 "$work/noop")")
    ss+=("$("${strict[@]}" "$work/drive" spawn 2000 "$work/noop")")
    gb+=("$("$work/drive" signal 20000)")
    gs+=("$("${strict[@]}" "$work/drive" signal 20000)")
    mb+=("$(ms make -s -j2 -C "$work" -f "$work/Makefile")")
    ms_+=("$(ms "${strict[@]}" make -s -j2 -C "$work" -f "$work/Makefile")")
    lb+=("$(ms "${loop[@]}")")
    ls+=("$(ms "${strict[@]}" "${loop[@]}")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "machine: $(nproc) cores, $(uname -sr); $rounds alternating rounds, medians"
printf '%-34s %10s %10s %7s\n' workload bare strict ratio
row() { python3 -c "import sys; b,s=float(sys.argv[2]),float(sys.argv[3]); print(f'{sys.argv[1]:<34} {b:>10.2f} {s:>10.2f} {s/b:>6.2f}x')" "$@"; }
row "spawn+wait of a no-op (us each)" "$(median "${sb[@]}")" "$(median "${ss[@]}")"
row "handled self-signal (us each)" "$(median "${gb[@]}")" "$(median "${gs[@]}")"
row "make -j2, 300 recipes (ms)" "$(median "${mb[@]}")" "$(median "${ms_[@]}")"
row "bash loop, 500 x /bin/true (ms)" "$(median "${lb[@]}")" "$(median "${ls[@]}")"
