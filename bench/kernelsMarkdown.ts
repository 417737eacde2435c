/**
 * The kernel benchmark's results file (`bench/results/<adapter>.json`, written by `npm run bench` and
 * by `gpu:check`) and its Markdown form. The JSON shape is a contract other tools read: fields are
 * added, never renamed or dropped.
 */
import type { DevicePeaks, DeviceInfo, ProfileResult, ProfileSettings } from '../src/shared/profileProtocol';

export interface BenchGoal {
  goal: string;
  value: number | null;
  target: number;
  lowerIsBetter: boolean;
  unit: string;
  met: boolean | null;
}

export interface KernelsBenchResults {
  date: string;
  node: string;
  platform: string;
  settings: ProfileSettings;
  device: DeviceInfo;
  goals: BenchGoal[];
  /** rssAfter100MiB: after the last run (`runs`; 100 unless BENCH_LEAK_RUNS says otherwise). */
  leak: { runs: number; rssAfter10MiB: number; rssAfter100MiB: number; growthMiB: number };
  results: ProfileResult[];
  /** The peaks measured again after the cases (clock drift check). */
  peaksAfter?: DevicePeaks;
  /** The run's notes: drifting clocks, the plan's own notes. */
  notes?: string[];
  /** v2 beside v1 on every case where v2 runs a kernel of its own: median µs of each, ratio v2/v1. */
  generations?: GenerationPair[];
  /**
   * tile2's own choices, each beside the same case without it: its products' type (MLA absorbed decode
   * where K/V are f16) against the other, register prefetch against none.
   */
  tile2Options?: Tile2OptionPair[];
}

export interface Tile2OptionPair {
  /** The choice the main pass made: "f16 products", "f32 products" or "register prefetch". */
  option: string;
  /** The same case run without it: the other products, or "no prefetch". */
  without: string;
  id: string;
  label: string;
  mode: string;
  context: number;
  withUs: number;
  withoutUs: number;
  /** withUs / withoutUs: below 1, the choice is faster. */
  ratio: number;
}

export interface GenerationPair {
  id: string;
  label: string;
  context: number;
  v1Us: number;
  v2Us: number;
  v1Storage: 'f16' | 'f32';
  v2Storage: 'f16' | 'f32';
  /** v2 time / v1 time: below 1, v2 is faster. */
  ratio: number;
}

/**
 * The results file's name: the adapter's name without versions and details, and the backend.
 * "llvmpipe (LLVM 15.0.6, 256 bits)" and "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) 0.0.1 llvmpipe-llvm-15-0-6-256-bits-"
 * → llvmpipe-vulkan; Dawn names NVIDIA's Vulkan adapter
 * "NVIDIA: 580.159.04 580.159.4.0 nvidia-h200" (driver versions, then the device) → nvidia-h200-vulkan.
 */
export function resultsSlug(adapter: string, backend: string): string {
  const [head, ...rest] = adapter.split(/[:(]/);
  const prefix = head!.trim().toLowerCase();
  // A device token that carries version numbers (lavapipe's "llvmpipe-llvm-15-0-6-256-bits-") says no more than the head.
  const device = rest.join(' ').split(/\s+/).find((t) => prefix.length > 0 && t.toLowerCase().startsWith(prefix) && t.length > prefix.length && !/\d+[-.]\d+/.test(t));
  return `${device ?? head}-${backend}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

/** tile2's choices in a result's kernel column: its products' type and whether it prefetched. */
function tile2Choices(r: ProfileResult): string {
  return [r.products ? `, ${r.products} products` : '', r.prefetch === undefined ? '' : r.prefetch ? ', prefetch' : ', no prefetch'].join('');
}

export function kernelsMarkdown(o: KernelsBenchResults): string {
  const d = o.device;
  const lines = [
    `# Attention kernels on ${d.adapter}`,
    '',
    ...(d.software ? [`**${d.adapter} is a software adapter: these figures are this machine's CPU, not a GPU.**`, ''] : []),
    `Backend **${d.backend}**, KV stored as ${d.storage}, ${d.timing} timing, ${o.settings.samples} samples after ${o.settings.warmupPasses} warm-up passes, cold K/V (rotated copies). ${o.date.slice(0, 10)}, Node ${o.node}, ${o.platform}.`,
    '',
    `Measured peaks: copy **${d.peaks.copyGBps.toFixed(2)} GB/s**${d.peaks.readGBps === undefined ? '' : `, read **${d.peaks.readGBps.toFixed(2)} GB/s**`}, f32 FMA **${d.peaks.f32TFlops.toFixed(4)} TFLOP/s**${d.peaks.f16TFlops === null ? '' : `, f16 FMA **${d.peaks.f16TFlops.toFixed(4)} TFLOP/s**`}${d.peaks.matrixShape === undefined ? '' : `, subgroup matrices (${d.peaks.matrixShape}) ${typeof d.peaks.matrixTFlops === 'number' ? `**${d.peaks.matrixTFlops.toFixed(3)} TFLOP/s**` : `not measured (${d.peaks.derivation.find((l) => l.startsWith('matrix')) ?? 'no reason recorded'})`}`}${d.sustainedSeconds ? `, after ${d.sustainedSeconds.toFixed(1)} s of sustained load` : ''}. Each percentage names the peak it is of.${d.storage === 'f32' ? ' This adapter has no shader-f16: the v1 kernels stored K/V in f32; v2\'s decode stores f16, read as packed u32 (the KV column says which).' : ''}`,
    '',
    '## Goals',
    '',
    '| goal | reached | met |',
    '|---|---|---|',
    ...o.goals.map((g) => `| ${g.goal} | ${g.value === null ? 'not measured' : `${g.value.toFixed(2)}${g.unit}`} | ${g.met === null ? '—' : g.met ? 'yes' : 'no'} |`),
    '',
    '## Results (one layer, batch 1)',
    '',
    '| mode | variant | kernel | KV | context | median µs | p90 µs | GB/s | % read peak | % copy peak | TFLOP/s | % f32 FMA peak | % roofline | max error | notes |',
    '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...o.results.map((r) => `| ${r.mode} | ${r.label} | ${r.kernel ?? 'v1'}${r.kernelName ? ` (${r.kernelName}${r.kernelName === 'tile2' ? tile2Choices(r) : ''})` : ''} | ${r.storage} | ${r.context} | ${r.medianUs === null ? `not timed: ${r.skipped}` : r.medianUs.toFixed(0)} | ${r.p90Us?.toFixed(0) ?? '—'} | ${r.gbps?.toFixed(2) ?? '—'} | ${r.pctReadBandwidth?.toFixed(1) ?? '—'} | ${r.pctBandwidth?.toFixed(1) ?? '—'} | ${r.tflops?.toFixed(4) ?? '—'} | ${r.pctFlops?.toFixed(1) ?? '—'} | ${r.pctRoofline?.toFixed(1) ?? '—'} | ${r.maxAbsError?.toExponential(1) ?? '—'} | ${[typeof r.pctMatrixFlops === 'number' ? `${r.pctMatrixFlops.toFixed(1)}% of the matrix peak` : undefined, typeof r.pctF16Flops === 'number' ? `${r.pctF16Flops.toFixed(1)}% of the f16 FMA peak` : undefined, r.coldNote, r.timingNote].filter(Boolean).join('; ')} |`),
    ...(o.generations?.length
      ? [
          '',
          '## v2 beside v1 (same cases, same adapter, same process)',
          '',
          'v2 reads f16 K/V as packed u32 on every adapter; v1 stores what the adapter supports (f32 without shader-f16), so on such an adapter v2 also moves half the bytes. Below 1, v2 is faster.',
          '',
          '| variant | context | v1 µs (KV) | v2 µs (KV) | v2 / v1 |',
          '|---|---:|---:|---:|---:|',
          ...o.generations.map((g) => `| ${g.label} | ${g.context} | ${g.v1Us.toFixed(0)} (${g.v1Storage}) | ${g.v2Us.toFixed(0)} (${g.v2Storage}) | ${g.ratio.toFixed(2)}× |`),
        ]
      : []),
    ...(o.tile2Options?.length
      ? [
          '',
          '## tile2\'s choices, each beside the same case without it (same adapter, same process)',
          '',
          'Products (MLA absorbed decode where K/V are f16): f16 — Q and the tiles staged in f16, products in f16, sums in f32 — or f32, the tiles staged and multiplied in f32; the profiler takes f16 where the measured f16 FMA peak is above the f32 one. Register prefetch: the next K chunk or V block loaded before the math on the current one, against loading each when it is staged. Below 1, the choice is faster.',
          '',
          '| choice | mode | variant | context | with µs | without µs | with / without |',
          '|---|---|---|---:|---:|---:|---:|',
          ...o.tile2Options.map((p) => `| ${p.option} (vs ${p.without}) | ${p.mode} | ${p.label} | ${p.context} | ${p.withUs.toFixed(0)} | ${p.withoutUs.toFixed(0)} | ${p.ratio.toFixed(2)}× |`),
        ]
      : []),
    ...(o.peaksAfter ? ['', `Peaks measured again after the cases: copy ${o.peaksAfter.copyGBps.toFixed(2)} GB/s${o.peaksAfter.readGBps === undefined ? '' : `, read ${o.peaksAfter.readGBps.toFixed(2)} GB/s`}, f32 FMA ${o.peaksAfter.f32TFlops.toFixed(4)} TFLOP/s.`] : []),
    ...(o.notes?.length ? ['', ...o.notes.map((n) => `Note: ${n}`)] : []),
    '',
    `Leak check: ${o.leak.runs} runs, resident ${o.leak.rssAfter10MiB.toFixed(0)} MiB after 10 and ${o.leak.rssAfter100MiB.toFixed(0)} MiB after ${o.leak.runs} (growth ${o.leak.growthMiB.toFixed(1)} MiB).`,
    '',
  ];
  return lines.join('\n');
}
