/**
 * `attention-lens profile`: builds the plan from the config (engine), runs it in the worker process
 * (never in this one), prints progress on stderr and the table or `--json` on stdout. Ctrl-C kills
 * the worker. Exit 0 when every case was measured or skipped for a stated reason, 1 when the GPU work
 * failed (no adapter, device lost, crash, timeout, a kernel that failed its correctness gate).
 */
import * as path from 'node:path';
import { deriveAttentionSpec } from '../core/attentionSpec';
import { loadModelConfig } from '../core/modelConfig';
import { buildProfilePlan, kernelWorkDerivation } from '../core/profilePlan';
import type { ProfileResult } from '../shared/profileProtocol';
import type { ModelInput } from '../core/report';
import { ProfileError, runProfile } from '../gpu/workerClient';
import type { CliRequest } from './args';
import { renderProfile } from './renderProfile';

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
    // --explain: each case's bytes and FLOPs with its own numbers, then how the rates follow from the time.
    const explain = (r: ProfileResult): string[] => {
      const c = plan.cases.find((k) => k.id === r.id && k.mode === r.mode && k.contextTokens === r.context && k.layerKind === r.layerKind && k.windowTokens === r.windowTokens && k.chunkTokens === r.chunkTokens);
      if (!c) return [];
      const lines = kernelWorkDerivation(c, r.storage === 'f16' ? 2 : 4);
      if (r.medianUs !== null && r.gbps !== null && r.tflops !== null) {
        const p = report.device.peaks;
        lines.push(`GB/s = ${r.bytes} B / ${r.medianUs.toFixed(1)} µs = ${r.gbps.toFixed(3)}; % BW = ${r.gbps.toFixed(3)} / ${p.copyGBps.toFixed(3)} measured copy GB/s`);
        lines.push(`TFLOP/s = ${r.flops} / ${r.medianUs.toFixed(1)} µs = ${r.tflops.toFixed(5)}; % FLOP/s = ${r.tflops.toFixed(5)} / ${p.f32TFlops.toFixed(5)} measured f32 FMA TFLOP/s`);
        if (r.pctRoofline !== null) lines.push(`% roofline = max(${r.bytes} B / ${p.copyGBps.toFixed(3)} GB/s, ${r.flops} / ${p.f32TFlops.toFixed(5)} TFLOP/s) / ${r.medianUs.toFixed(1)} µs = ${r.pctRoofline.toFixed(1)}%`);
        const mha = report.results.find((o) => o.variant === 'mha' && o.mode === r.mode && o.context === r.context && o.layerKind === r.layerKind && o.medianUs !== null);
        if (mha && mha !== r) lines.push(`vs MHA = ${r.medianUs.toFixed(1)} / ${mha.medianUs!.toFixed(1)} µs = ${(r.medianUs / mha.medianUs!).toFixed(2)}×`);
      } else if (r.skipped) lines.push(`not timed: ${r.skipped}`);
      return lines;
    };
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
