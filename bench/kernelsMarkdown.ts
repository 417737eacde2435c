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
}

/** The results file's name: "llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) …" → "llvmpipe-vulkan"; "NVIDIA H100 80GB HBM3" → "nvidia-h100-80gb-hbm3-vulkan". */
/**
 * The results file's name: the adapter's name without versions and details, and the backend.
 * "llvmpipe (LLVM 15.0.6, 256 bits)" → llvmpipe-vulkan; Dawn names NVIDIA's Vulkan adapter
 * "NVIDIA: 580.159.04 580.159.4.0 nvidia-h200" (driver versions, then the device) → nvidia-h200-vulkan.
 */
export function resultsSlug(adapter: string, backend: string): string {
  const [head, ...rest] = adapter.split(/[:(]/);
  const prefix = head!.trim().toLowerCase();
  const device = rest.join(' ').split(/\s+/).find((t) => prefix.length > 0 && t.toLowerCase().startsWith(prefix) && t.length > prefix.length);
  return `${device ?? head}-${backend}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}

export function kernelsMarkdown(o: KernelsBenchResults): string {
  const d = o.device;
  const lines = [
    `# Attention kernels on ${d.adapter}`,
    '',
    `Backend **${d.backend}**, KV stored as ${d.storage}, ${d.timing} timing, ${o.settings.samples} samples after ${o.settings.warmupPasses} warm-up passes, cold K/V (rotated copies). ${o.date.slice(0, 10)}, Node ${o.node}, ${o.platform}.`,
    '',
    `Measured peaks: copy **${d.peaks.copyGBps.toFixed(2)} GB/s**${d.peaks.readGBps === undefined ? '' : `, read **${d.peaks.readGBps.toFixed(2)} GB/s**`}, f32 FMA **${d.peaks.f32TFlops.toFixed(4)} TFLOP/s**${d.peaks.f16TFlops === null ? '' : `, f16 FMA **${d.peaks.f16TFlops.toFixed(4)} TFLOP/s**`}${d.sustainedSeconds ? `, after ${d.sustainedSeconds.toFixed(1)} s of sustained load` : ''}. Each percentage names the peak it is of.${d.storage === 'f32' ? ' This adapter has no shader-f16: K/V were stored in f32.' : ''}`,
    '',
    '## Goals',
    '',
    '| goal | reached | met |',
    '|---|---|---|',
    ...o.goals.map((g) => `| ${g.goal} | ${g.value === null ? 'not measured' : `${g.value.toFixed(2)}${g.unit}`} | ${g.met === null ? '—' : g.met ? 'yes' : 'no'} |`),
    '',
    '## Results (one layer, batch 1)',
    '',
    '| mode | variant | context | median µs | p90 µs | GB/s | % read peak | % copy peak | TFLOP/s | % f32 FMA peak | % roofline | max error | notes |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...o.results.map((r) => `| ${r.mode} | ${r.label} | ${r.context} | ${r.medianUs === null ? `not timed: ${r.skipped}` : r.medianUs.toFixed(0)} | ${r.p90Us?.toFixed(0) ?? '—'} | ${r.gbps?.toFixed(2) ?? '—'} | ${r.pctReadBandwidth?.toFixed(1) ?? '—'} | ${r.pctBandwidth?.toFixed(1) ?? '—'} | ${r.tflops?.toFixed(4) ?? '—'} | ${r.pctFlops?.toFixed(1) ?? '—'} | ${r.pctRoofline?.toFixed(1) ?? '—'} | ${r.maxAbsError?.toExponential(1) ?? '—'} | ${[r.coldNote, r.timingNote].filter(Boolean).join('; ')} |`),
    ...(o.peaksAfter ? ['', `Peaks measured again after the cases: copy ${o.peaksAfter.copyGBps.toFixed(2)} GB/s${o.peaksAfter.readGBps === undefined ? '' : `, read ${o.peaksAfter.readGBps.toFixed(2)} GB/s`}, f32 FMA ${o.peaksAfter.f32TFlops.toFixed(4)} TFLOP/s.`] : []),
    ...(o.notes?.length ? ['', ...o.notes.map((n) => `Note: ${n}`)] : []),
    '',
    `Leak check: ${o.leak.runs} runs, resident ${o.leak.rssAfter10MiB.toFixed(0)} MiB after 10 and ${o.leak.rssAfter100MiB.toFixed(0)} MiB after ${o.leak.runs} (growth ${o.leak.growthMiB.toFixed(1)} MiB).`,
    '',
  ];
  return lines.join('\n');
}
