#![no_main]
// Strings with many `((` make the shell parser backtrack exponentially; guard bounds that
// with a time limit (shell::ANALYSIS_LIMIT, fuzz/regressions/shell_analysis/nested-arithmetic-
// exponential), which leaves the slow analysis running on its thread. Here they are skipped,
// so the fuzzer keeps looking for other failures instead of piling up such threads.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if data.windows(2).filter(|w| w == b"((").count() <= 3 {
        guard_fuzz::shell_analysis(data)
    }
});
