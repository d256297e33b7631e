#!/usr/bin/env node
// Runs ONE command hook exactly as Gemini CLI runs a BeforeTool hook, using the
// code of the pinned @google/gemini-cli-core (see package.json), and prints
// what Gemini would then do with the tool call:
//   node harness.mjs '<hook command>' < payload.json
//   -> {"outcome":"block"|"ask"|"proceed","reason":..,"system_message":..,"exit_code":..,"tool_input":..}
// payload.json is the hook input verbatim (stdin of the hook; its `cwd` is the
// hook's cwd and GEMINI_CWD/GEMINI_PROJECT_DIR). The hook runs under
// `bash -c`, with the default 60 s timeout and the full environment, as in Gemini.
//
// Deep imports, not the package index: the index loads all of Gemini CLI
// (~1.6 s); these four modules load in ~0.3 s. The package has no "exports"
// map, so the paths are reachable and are pinned by the exact version.
import { HookRunner } from '@google/gemini-cli-core/dist/src/hooks/hookRunner.js';
import { HookAggregator } from '@google/gemini-cli-core/dist/src/hooks/hookAggregator.js';
import { ConfigSource, HookEventName, HookType } from '@google/gemini-cli-core/dist/src/hooks/types.js';
import { evaluateBeforeToolHook } from '@google/gemini-cli-core/dist/src/scheduler/hook-utils.js';
import os from 'node:os';
import path from 'node:path';

// Gemini's debugLogger uses console.debug/log, which Node writes to stdout;
// send them to stderr so stdout carries only the one JSON line.
console.log = console.info = console.debug = console.error;

const command = process.argv[2];
if (!command) {
  console.error('usage: node harness.mjs <hook command> < payload.json');
  process.exit(64);
}
let raw = '';
for await (const chunk of process.stdin) raw += chunk;
const input = JSON.parse(raw);
input.cwd ??= process.cwd(); // Gemini always sends cwd; HookRunner spawns in it.

// The only Config members HookRunner touches. Redaction off is Gemini's default
// (it turns on by itself only when GITHUB_SHA is set or SURFACE=Github).
// The real plans dir is ~/.gemini/tmp/<project>/plans; the real Storage would
// create ~/.gemini, so a path is made up here (only used for $GEMINI_PLANS_DIR).
const runnerConfig = {
  isTrustedFolder: () => true,
  sanitizationConfig: { enableEnvironmentVariableRedaction: false },
  storage: { getPlansDir: () => path.join(os.tmpdir(), 'gemini-harness-plans') },
};
// A hook from the user's settings.json (source User: no folder-trust check).
const hookConfig = { type: HookType.Command, command, source: ConfigSource.User };

// What HookEventHandler.executeHooks does for a one-hook plan (minus telemetry):
// HookRunner.executeHook, then HookAggregator.aggregateResults (OR-merge of
// decisions, default 'allow'); HookSystem.fireBeforeToolEvent returns finalOutput.
const result = await new HookRunner(runnerConfig).executeHook(hookConfig, HookEventName.BeforeTool, input);
const { finalOutput } = new HookAggregator().aggregateResults([result], HookEventName.BeforeTool);

// The scheduler's own decision step (Scheduler._processToolCall calls this):
// status 'error' = the tool call is refused (blocked or agent stopped);
// hookDecision 'ask' = forced user confirmation; anything else runs the tool.
const config = { getHookSystem: () => ({ fireBeforeToolEvent: async () => finalOutput }) };
const tool = { build: (params) => ({ params }) }; // only used if the hook rewrites tool_input
const request = { name: input.tool_name ?? 'run_shell_command' };
const verdict = await evaluateBeforeToolHook(config, tool, request, { params: input.tool_input ?? {} });

const outcome = verdict.status === 'error' ? 'block' : verdict.hookDecision === 'ask' ? 'ask' : 'proceed';
process.stdout.write(JSON.stringify({
  outcome,
  reason: finalOutput?.stopReason ?? finalOutput?.reason ?? null,
  system_message: finalOutput?.systemMessage ?? null,
  exit_code: result.exitCode ?? null, // null: spawn error or timeout
  tool_input: verdict.modifiedArgs ?? null, // the arguments the tool then runs with, if rewritten
}) + '\n');
