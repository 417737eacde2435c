/** Text output of `attention-lens profile`: the device and its measured peaks, then one row per case. */
import { int, tokens } from '../format';
import { kernelWorkDerivation, type ProfilePlan } from '../profilePlan';
import type { ProfileReport, ProfileResult } from '../../shared/profileProtocol';
import { renderTable } from './table';

export function renderProfile(file: string, report: ProfileReport, explain: (r: ProfileResult) => string[] = () => []): string {
  const { device, results } = report;
  const p = device.peaks;
  const out: string[] = [];
  out.push(file);
  out.push(`  device   ${device.adapter} · ${device.backend} · KV in ${device.storage}${device.storage === 'f32' ? ' (no shader-f16 on this adapter: v1 kernels store K/V in f32, twice the bytes of f16; v2 decode reads f16 packed in u32 — the kernel column says which ran)' : ''} · ${device.timing} timing`);
  if (device.software) out.push('           a software adapter: these figures are this machine\'s CPU, not a GPU');
  out.push(`  peaks    copy ${fixed(p.copyGBps)} GB/s${p.readGBps === undefined ? '' : ` · read ${fixed(p.readGBps)} GB/s`} · f32 FMA ${fixed(p.f32TFlops, 3)} TFLOP/s${p.f16TFlops === null ? '' : ` · f16 FMA ${fixed(p.f16TFlops, 3)} TFLOP/s`}  (measured on this device${device.sustainedSeconds ? ` after ${device.sustainedSeconds.toFixed(1)} s of sustained load` : ''}; each % below names its peak)`);
  if (device.wave) out.push(`  wave     ${int(device.wave.workgroups)} workgroup${device.wave.workgroups === 1 ? '' : 's'} at once (measured: split-K decode fills whole waves of it)`);
  if (report.peaksAfter) {
    const a = report.peaksAfter;
    out.push(`  after    copy ${fixed(a.copyGBps)} GB/s${a.readGBps === undefined ? '' : ` · read ${fixed(a.readGBps)} GB/s`} · f32 FMA ${fixed(a.f32TFlops, 3)} TFLOP/s  (the same peaks, measured again after the cases)`);
  }
  out.push('');
  for (const mode of ['decode', 'prefill'] as const) {
    const rows = results.filter((r) => r.mode === mode);
    if (rows.length === 0) continue;
    out.push(`  ${mode} — one layer, batch ${rows[0]!.batch}, µs per layer (median of ${rows.find((r) => r.samples)?.samples ?? '—'})`);
    out.push(renderTable(
      ['variant', 'layer', 'kernel', 'context', 'median µs', 'vs MHA', 'GB/s', '% read peak', '% copy peak', 'TFLOP/s', '% f32 FMA', 'max error', ''],
      rows.map((r) => [
        `${r.own ? '* ' : '  '}${r.label}`,
        r.layerKind === 'full' ? 'full' : r.layerKind === 'sliding' ? `window ${tokens(r.windowTokens)}` : `chunk ${tokens(r.chunkTokens)}`,
        `${r.kernel ?? 'v1'} ${r.storage}`,
        tokens(r.context),
        r.medianUs === null ? '—' : int(r.medianUs),
        versusMha(r, results),
        r.gbps === null ? '—' : fixed(r.gbps),
        r.pctReadBandwidth === null || r.pctReadBandwidth === undefined ? '—' : `${r.pctReadBandwidth.toFixed(0)}%`,
        r.pctBandwidth === null ? '—' : `${r.pctBandwidth.toFixed(0)}%`,
        r.tflops === null ? '—' : fixed(r.tflops, 3),
        r.pctFlops === null ? '—' : `${r.pctFlops.toFixed(0)}%`,
        r.maxAbsError === null ? '—' : r.maxAbsError.toExponential(1),
        r.ok ? [r.coldNote, r.timingNote].filter(Boolean).join('; ') : `not timed: ${r.skipped ?? 'failed'}`,
      ]),
      ['left', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    ));
    out.push('');
  }
  const derivations = results.map((r) => ({ r, lines: explain(r) })).filter((d) => d.lines.length > 0);
  if (derivations.length > 0) {
    out.push('  derivation');
    out.push('    peaks');
    for (const l of p.derivation) out.push(`      ${l}`);
    if (device.wave) out.push(`      ${device.wave.derivation}`);
    for (const { r, lines } of derivations) {
      out.push(`    ${r.mode} ${r.label}${r.layerKind === 'full' ? '' : ` (${r.layerKind})`} at ${int(r.context)} tokens`);
      for (const l of lines) out.push(`      ${l}`);
    }
    out.push('');
  }
  out.push('  * the config\'s own attention. Every case was checked against an f32 CPU reference before it was timed.');
  for (const n of report.notes) out.push(`  note: ${n}`);
  return out.join('\n');
}

/** Time relative to MHA with the same mode, layer kind and context (the cost the variant saves). */
function versusMha(r: ProfileResult, all: readonly ProfileResult[]): string {
  if (r.medianUs === null) return '—';
  const mha = all.find((o) => o.variant === 'mha' && o.mode === r.mode && o.context === r.context && o.layerKind === r.layerKind && o.medianUs !== null);
  if (!mha || mha.medianUs === null) return '—';
  return `${(r.medianUs / mha.medianUs).toFixed(2)}×`;
}

function fixed(n: number, digits?: number): string {
  if (digits !== undefined) return n.toFixed(digits);
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** One case's bytes and FLOPs with its own numbers, then how its rates follow from the measured time. */
export function profileCaseDerivation(plan: ProfilePlan, report: ProfileReport, r: ProfileResult): string[] {
  const c = plan.cases.find((k) => k.id === r.id && k.mode === r.mode && k.contextTokens === r.context && k.layerKind === r.layerKind && k.windowTokens === r.windowTokens && k.chunkTokens === r.chunkTokens);
  if (!c) return [];
  const lines = kernelWorkDerivation(c, r.storage === 'f16' ? 2 : 4);
  if (r.medianUs !== null && r.gbps !== null && r.tflops !== null) {
    const p = report.device.peaks;
    lines.push(`GB/s = ${r.bytes} B / ${r.medianUs.toFixed(1)} µs = ${r.gbps.toFixed(3)}; % copy peak = ${r.gbps.toFixed(3)} / ${p.copyGBps.toFixed(3)} measured copy GB/s`);
    if (p.readGBps !== undefined) lines.push(`% read peak = ${r.gbps.toFixed(3)} / ${p.readGBps.toFixed(3)} measured read-only GB/s (decode only reads K and V)`);
    if (r.coldBytes !== undefined) lines.push(`cold: K/V rotated through ${r.coldCopies} copies = ${r.coldBytes} B${r.coldNote ? ` — ${r.coldNote}` : ''}`);
    lines.push(`TFLOP/s = ${r.flops} / ${r.medianUs.toFixed(1)} µs = ${r.tflops.toFixed(5)}; % f32 FMA = ${r.tflops.toFixed(5)} / ${p.f32TFlops.toFixed(5)} measured f32 FMA TFLOP/s`);
    if (typeof r.pctF16Flops === 'number' && typeof p.f16TFlops === 'number') lines.push(`% f16 FMA = ${r.tflops.toFixed(5)} / ${p.f16TFlops.toFixed(5)} measured f16 FMA TFLOP/s (its products are f16, its sums f32) = ${r.pctF16Flops.toFixed(1)}%`);
    if (typeof r.pctMatrixFlops === 'number' && typeof p.matrixTFlops === 'number') lines.push(`% matrix peak = ${r.tflops.toFixed(5)} / ${p.matrixTFlops.toFixed(5)} measured subgroup-matrix TFLOP/s (${p.matrixShape ?? 'the kernel\'s shape'}) = ${r.pctMatrixFlops.toFixed(1)}%`);
    const memory = r.mode === 'decode' && p.readGBps !== undefined ? `${p.readGBps.toFixed(3)} GB/s read peak` : `${p.copyGBps.toFixed(3)} GB/s copy peak`;
    if (r.pctRoofline !== null) lines.push(`% roofline = max(${r.bytes} B / ${memory}, ${r.flops} / ${p.f32TFlops.toFixed(5)} TFLOP/s f32 FMA peak) / ${r.medianUs.toFixed(1)} µs = ${r.pctRoofline.toFixed(1)}%`);
    const mha = report.results.find((o) => o.variant === 'mha' && o.mode === r.mode && o.context === r.context && o.layerKind === r.layerKind && o.medianUs !== null);
    if (mha && mha !== r) lines.push(`vs MHA = ${r.medianUs.toFixed(1)} / ${mha.medianUs!.toFixed(1)} µs = ${(r.medianUs / mha.medianUs!).toFixed(2)}×`);
  } else if (r.skipped) lines.push(`not timed: ${r.skipped}`);
  return lines;
}
