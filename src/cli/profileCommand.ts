/**
 * `attention-lens profile`: builds the plan from the config (engine), runs it in the worker process
 * (never in this one), prints progress on stderr and the table or `--json` on stdout. Ctrl-C kills
 * the worker. Exit 0 when every case was measured or skipped for a stated reason, 1 when the GPU work
 * failed (no adapter, device lost, crash, timeout, a kernel that failed its correctness gate).
 */
import * as path from 'node:path';
import { deriveAttentionSpec } from '../core/attentionSpec';
import { loadModelConfig } from '../core/modelConfig';
import { buildProfilePlan } from '../core/profilePlan';
import type { ProfileResult } from '../shared/profileProtocol';
import type { ModelInput } from '../core/report';
import { listAdaptersInWorker, ProfileError, runProfile } from '../gpu/workerClient';
import type { CliRequest } from './args';
import { profileCaseDerivation, renderProfile } from '../core/text/renderProfile';

export async function runProfileCommand(input: ModelInput, request: CliRequest, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const spec = deriveAttentionSpec(loadModelConfig(input.file, input.text));
  const { plan: planOptions, settings, timeoutSeconds } = request.profile!;
  const plan = buildProfilePlan(spec, planOptions);
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  const verbose = !request.json || process.stderr.isTTY;
  try {
    const report = await runProfile(plan, settings, {
      workerPath: path.join(__dirname, 'worker.mjs'),
      timeoutMs: timeoutSeconds * 1000,
      signal: abort.signal,
      onEvent: (e) => {
        if (!verbose) return;
        if (e.type === 'progress') io.err(`[${e.done}/${e.total - 1}] ${e.message}`);
        else if (e.type === 'log' && e.level === 'warn') io.err(`warning: ${e.message}`);
      },
    });
    const explain = (r: ProfileResult): string[] => profileCaseDerivation(plan, report, r);
    const derivation = request.explain ? report.results.map((r) => ({ id: r.id, mode: r.mode, context: r.context, layerKind: r.layerKind, lines: explain(r) })) : undefined;
    io.out(request.json ? JSON.stringify({ file: input.file, modelType: plan.modelType, ...report, ...(derivation ? { derivation } : {}) }, null, 2) : renderProfile(input.file, report, request.explain ? explain : undefined));
    const failed = report.results.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      io.err(`attention-lens: ${failed.length} kernel(s) failed the correctness check against the CPU reference; their timings are not shown`);
      return 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof ProfileError) {
      io.err(`attention-lens: profile: ${e.message}`);
      if (e.code !== 'no-adapter' && e.code !== 'cancelled' && e.logs.length > 0) io.err(`worker log (last lines):\n  ${e.logs.slice(-10).join('\n  ')}`);
      return 1;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** `attention-lens profile --list-adapters`: Dawn's adapters, numbered as --adapter takes them (listed in the worker). */
export async function runListAdaptersCommand(request: CliRequest, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  try {
    const list = await listAdaptersInWorker({ workerPath: path.join(__dirname, 'worker.mjs'), timeoutMs: 60_000 });
    if (request.json) {
      io.out(JSON.stringify(list, null, 2));
      return 0;
    }
    if (list.adapters.length === 0) {
      io.out('no adapter: Dawn found none here (on Linux: a GPU driver with its Vulkan ICD, or Mesa 23+\'s lavapipe to run on the CPU)');
      return 0;
    }
    io.out('adapters Dawn offers here (attention-lens profile <config> --adapter N or a part of the name):');
    for (const a of list.adapters) io.out(`  ${a.index}  ${a.name} (${a.backend})${a.chosen ? '  ← the default' : ''}`);
    if (list.chosen) io.out(`default: ${list.chosen.name}${list.chosen.software ? ' — a software adapter: profiling it measures a CPU, not a GPU' : ''} (Dawn's high-performance choice: a discrete GPU before an integrated one, a GPU before a software adapter)`);
    return 0;
  } catch (e) {
    if (e instanceof ProfileError) {
      io.err(`attention-lens: profile --list-adapters: ${e.message}`);
      return 1;
    }
    throw e;
  }
}
