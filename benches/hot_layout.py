"""The hot path's layout lists, from lackey traces of guard up to its exec of the real tool.

    python3 benches/hot_layout.py MAP DIR (run by benches/hot-layout.sh)

MAP is the lld map of the unstripped, unordered build the traces ran; DIR holds, for each
call, trace.NNN (its `valgrind --tool=lackey --trace-mem=yes` log), and `native`, the
address of every instruction the first call ran natively (benches/steps.c). Writes
scripts/hot-functions.txt (the functions the calls ran, for scripts/link-order's symbol
order) and scripts/hot-data.txt (the read-only data sections they read that a later build
can name again, for its data layout). Names are the map's with hash suffixes dropped, so the lists outlive the build.

Order: what the most calls use first; among equals, by the first call that used it (the
calls run in benches/hot-layout.sh's order), so each tool's own code and data sit
together instead of interleaved alphabetically with every other tool's.
"""
import bisect
import glob
import re
import sys

map_path, work = sys.argv[1], sys.argv[2]
traces = sorted(glob.glob(work + "/trace.*"))
native_steps = work + "/native"
line_re = re.compile(r"^ *([0-9a-f]+) +[0-9a-f]+ +([0-9a-f]+) +[0-9]+( +)(.*)$")

def plain(name):
    # Hash suffixes and LTO's numbered copies (" (.437)") differ from build to build.
    return re.sub(r"::h[0-9a-f]+$", "", re.sub(r" \(\.[0-9]+\)$", "", name))

inputs = []   # (start, size, output section, file, section)
symbols = []  # (address, name, size of its section if it is a Rust function's own) in .text
by_mangled = {}
out = None
for line in open(map_path):
    m = line_re.match(line)
    if not m:
        continue
    addr, size, depth, name = int(m[1], 16), int(m[2], 16), len(m[3]), m[4]
    if depth == 1:
        out = name
    elif depth == 9:
        file, _, section = name.rpartition(":(")
        inputs.append((addr, size, out, file, section.rstrip(")")))
    elif depth == 17:
        section = inputs[-1][4]
        mangled = re.sub(r"^\.(text|rodata)\.(unlikely\.)?", "", section)
        if mangled != section and mangled not in by_mangled:
            by_mangled[mangled] = plain(name)
        if out == ".text":
            own = re.match(r"_ZN|_R", mangled) is not None and section.startswith(".text.")
            symbols.append((addr, plain(name), inputs[-1][1] if own else None))
inputs.sort()
symbols.sort()
starts = [i[0] for i in inputs]
sym_starts = [s[0] for s in symbols]

archive_re = re.compile(r"([^/]+\.a)\(([^)]+)\)$")
rust_data_re = re.compile(r"^(\.rodata\.(?:\.Lswitch\.table\.)?)(_ZN\S*?E|_R[0-9A-Za-z_]+)(\.llvm\.\d+|\.\d+)*$")

def data_id(addr):
    """A name for the read-only input section at addr that another build of the same code
    has too: an archive member's section, a Rust function's jump or switch tables, a Rust
    static, or the linker's merged constants. Anonymous constants have none."""
    i = bisect.bisect_right(starts, addr) - 1
    if i < 0:
        return None
    start, size, out, file, section = inputs[i]
    if addr >= start + size or out != ".rodata":
        return None
    if file == "<internal>" and re.match(r"^\.rodata\.(cst\d+|str\d+\.\d+)$", section):
        # The linker's merge of every object's constants or C strings of one kind: glibc's
        # start-up reads them on every call.
        return (f"<merged> {section}", None)
    member = archive_re.search(file)
    if member:
        return (f"{member[1]}({member[2]}) {section}", None)
    rust = rust_data_re.match(section)
    if rust and rust[2] in by_mangled:
        return (f"{by_mangled[rust[2]]} {rust[1].rstrip('.')}", size)
    return None

def function(addr):
    """The function at addr, and its section's size when it is a Rust function's own."""
    i = bisect.bisect_right(sym_starts, addr) - 1
    return symbols[i][1:] if i >= 0 else None

text = next(i for i in inputs if i[2] == ".text")[0]
# name -> (calls using it, first call); name -> sizes of the instances that ran. A
# generic function's instances share one demangled name, and a build has dozens of some:
# the size tells the ones that ran from the rest, where the same compiler built them.
sizes = {}
seen = set()  # (name, call): a name counts once per call, whatever sizes it ran at
def note(table, found, call):
    name, size = found
    n, first = table.get(name, (0, call))
    if (name, call) not in seen:
        seen.add((name, call))
        table[name] = (n + 1, first)
    if size is not None:
        sizes.setdefault(name, set()).add(size)

functions, data = {}, {}
def traced(trace):
    """The functions and the data ids a lackey trace ran and read."""
    fns, ids = set(), set()
    for line in open(trace):
        if line.startswith("=="):
            continue
        kind, _, rest = line.strip().partition(" ")
        addr = int(rest.strip().split(",")[0], 16)
        if kind == "I":
            if addr >= text:
                fns.add(function(addr))
        else:
            ids.add(data_id(addr))
    return fns, ids

# What the first call ran on this very CPU and not under valgrind: glibc's start-up code
# for a vDSO (valgrind's CPU has none) and for this CPU's vendor, and the variants of its
# string functions glibc picked for this CPU. Every call runs those.
first_fns, _ = traced(traces[0])
native = {function(a) for a in {int(line, 16) for line in open(native_steps)} if a >= text}
native -= first_fns
for call, trace in enumerate(traces):
    fns, ids = traced(trace)
    fns |= native
    for f in fns - {None}:
        note(functions, f, call)
    for d in ids - {None}:
        note(data, d, call)

def line(name):
    found = sizes.get(name)
    return name + ("\t" + ",".join(map(str, sorted(found))) if found else "") + "\n"

def ordered(table):
    # Merged sections last among equals: the C strings are 60 KB, and the rest of their
    # group would land a window further on behind them.
    return sorted(table, key=lambda n: (-table[n][0], table[n][1], n.startswith("<merged>"), n))

# glibc picks its string functions' variants for the CPU at start-up: beside each variant
# a trace ran, list the ones the same function has for today's other x86-64 machines
# (AVX2, EVEX, AVX-512), which they run instead.
names = {s[1] for s in symbols}
fn_list = []
variant_re = re.compile(r"^(__[a-z0-9]+_)(sse2|avx2|avx|evex512|evex|avx512)(\w*)$")
for f in ordered(functions):
    fn_list.append(f)
    variant = variant_re.match(f)
    if variant:
        for alt in ("avx2", "evex", "avx512", "evex512"):
            for suffix in sorted({variant[3], variant[3].replace("_rtm", "")}):
                cand = variant[1] + alt + suffix
                if cand in names and cand not in functions and cand not in fn_list:
                    fn_list.append(cand)

with open("scripts/hot-functions.txt", "w") as f:
    f.write("# Functions guard runs on an allowed call, for scripts/link-order; generated by\n")
    f.write("# benches/hot-layout.sh (lld map names, hash suffix dropped; the most shared first;\n")
    f.write("# after a tab, the sizes of the instances that ran, for generic functions).\n")
    f.writelines(line(n) for n in fn_list)
with open("scripts/hot-data.txt", "w") as f:
    f.write("# Read-only data guard reads on an allowed call, for scripts/link-order --data;\n")
    f.write("# generated by benches/hot-layout.sh: an archive member's section, or a Rust\n")
    f.write("# function's (or static's) own section kind, hash suffix dropped; most shared first;\n")
    f.write("# after a tab, the sizes of the sections read).\n")
    f.writelines(line(n) for n in ordered(data))
print(f"scripts/hot-functions.txt: {len(fn_list)} functions; scripts/hot-data.txt: {len(data)} sections",
      file=sys.stderr)
