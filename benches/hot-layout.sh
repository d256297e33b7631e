#!/usr/bin/env bash
# Regenerate scripts/hot-functions.txt and scripts/hot-data.txt: the functions guard runs
# and the read-only data it reads for a set of typical allowed calls, which scripts/install
# places together (scripts/link-order, README Performance). Run it after changing what the
# shim path does; stale lists cost speed, never correctness. Needs valgrind and python3.
#
#   benches/hot-layout.sh
#
# Builds guard as scripts/install does but unstripped and with a link map, traces each call
# below under valgrind's lackey up to the moment guard execs the real tool (and the first
# natively, single-stepped by benches/steps.c), and names what it ran and read the way
# lld's map does (demangled, hash suffix dropped), so the lists survive toolchain changes
# (benches/hot_layout.py).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
source scripts/release-env
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target=target/hot-layout
GUARD_LINK_MAP=$repo/$target/guard.map CARGO_PROFILE_RELEASE_STRIP=none \
    cargo build --release --locked --quiet --target-dir "$target" "${target_args[@]}"
bin=$repo/$target/release/guard
[ ${#target_args[@]} -eq 0 ] || bin=$repo/$target/${target_args[1]}/release/guard

# The calls: allowed ones, the path every agent command takes. A refusal waits on a human.
# Their order is the lists' tie-break: railway, the benchmark's tool, first.
calls=(
    "railway status"
    "railway logs --service api"
    "git status"
    "git push origin feature"
    "curl -s https://example.com"
    "curl -s -H 'content-type: application/json' -d '{\"query\":\"{ me { id } }\"}' https://backboard.railway.com/graphql/v2"
    "psql -c 'select 1'"
    "terraform plan"
    "kubectl get pods -n default"
    "rm -rf build"
    "aws s3 ls"
    "docker ps"
    "gh pr list"
)
mkdir -p "$work/bin" "$work/shims" "$work/home/build"
printf 'int main(void){return 0;}\n' > "$work/noop.c"
gcc -O2 -static -o "$work/bin/noop" "$work/noop.c"
gcc -O2 -o "$work/steps" benches/steps.c
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" XDG_DATA_HOME="$work/home/.local/share"
export XDG_STATE_HOME="$work/home/.local/state" GUARD_SHIM_DIR="$work/shims"
export PATH="$work/shims:$work/bin:$PATH"
export XDG_CACHE_HOME="$work/home/.cache"
cd "$work/home"
n=0
trace() {
    eval "argv=($1)"
    ln -sf noop "$work/bin/${argv[0]}"
    ln -sf "$bin" "$work/shims/${argv[0]}"
    n=$((n + 1))
    # The first call also single-stepped on this very CPU: glibc picks its string
    # functions' variants for it, and valgrind's CPU has no vDSO to look up.
    [ $n -gt 1 ] || "$work/steps" "${argv[@]}" > "$work/native" 2>/dev/null
    valgrind --tool=lackey --trace-mem=yes --log-file="$work/trace.$(printf %03d $n)" \
        "${argv[@]}" 2>/dev/null || { echo "guard did not allow: $1" >&2; exit 1; }
}
for call in "${calls[@]}"; do trace "$call"; done
# Every call again, with user rule files once indexed (rules::index: files older than 3 s,
# one call to index them): a call reads its own tool's file and stats the others. Run as
# often as the calls above, the user layer's functions come right after the ones every
# call runs, instead of scattered among those only one call runs.
mkdir -p "$XDG_CONFIG_HOME/guard/rules"
for tool in railway kubectl; do
    printf 'tools: [%s]\nrules:\n  - id: mine.%s\n    action: deny\n    reason: r\n    match: {command: [nuke]}\n' \
        "$tool" "$tool" > "$XDG_CONFIG_HOME/guard/rules/$tool.yaml"
done
sleep 4
railway status
for call in "${calls[@]}"; do trace "$call"; done
cd "$repo"

python3 benches/hot_layout.py "$target/guard.map" "$work"
