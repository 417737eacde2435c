/**
 * The results file `gpu:check` writes: the kernel benchmark's own shape (bench/kernelsMarkdown.ts),
 * with a `check` object added — the host finding, the adapters, each part's outcome, the GPU tests'
 * counts and the quality agreement. Without a benchmark run, the benchmark's fields are there, empty.
 */
import type { HostFindings } from '../../src/gpu/host/vulkanHost';
import type { AdapterEntry, ChosenAdapter } from '../../src/gpu/host/adapters';
import { describeMatrixConfig } from '../../src/gpu/host/adapterText';
import { kernelsMarkdown, type KernelsBenchResults } from '../kernelsMarkdown';
export { resultsSlug } from '../kernelsMarkdown';
import type { PartOutcome } from './runPart';
import type { QualityAgreement, QualityRun, TestsSummary } from './summaries';
import type { PeersCheck } from './peersSummary';

/** KIT.json, written by scripts/gpu-kit.mjs: what the kit carries and where each piece came from. */
export interface KitInfo {
  builtAt: string;
  commit: string | null;
  node: { version: string; package: string; integrity: string; stripped: boolean };
  webgpu: { version: string; dawnNode: string };
  vulkanLoader: string;
  debs: { package: string; version: string; sha256: string; folder: string }[];
  /** The .tar.gz: Node, the libraries, KIT.json. */
  archiveBytes?: number;
  /** The brotli-packed app (kits built since the peers joined; older kits carried it in the .tar.gz). */
  app?: { archive: string; archiveBytes?: number };
  /** The brotli-packed peers; null when built with --no-peers. */
  peers?: { archive: string; onnxruntimeWeb: string; nodeLlamaCpp: string; llamaCppRelease: string; vulkanPrebuilt: string; packages: number; unpackedBytes: number; archiveBytes?: number } | null;
  /** All archives together, the figure held to the budget. */
  totalBytes?: number;
}

export interface CheckReport {
  /** The one line said first: driver, ICD, loader, adapter (and what to do when it is not a GPU). */
  finding: string;
  quick: boolean;
  budgetSeconds: number;
  totalSeconds: number;
  kit: KitInfo | null;
  host: HostFindings;
  loader: { description: string; icds: string[]; generatedIcd: string | null; libraryDirs: string[]; env: Record<string, string>; notes: string[] };
  /** libraries: the libvulkan and driver libraries the probe process had mapped (which loader really served it). */
  adapters: { list: AdapterEntry[]; chosen: ChosenAdapter | null; error: string | null; libraries: { loader: string[]; drivers: string[] } | null };
  parts: PartOutcome[];
  tests: TestsSummary | null;
  quality: { shape: string; gpu: QualityRun | null; cpu: QualityRun | null; agreement: QualityAgreement[]; maxAbsoluteDifference: number | null; tolerance: number; agrees: boolean } | null;
  /** The peers part: bench:peers' goals and where it ran (its file holds the rows); null when not run. Absent in checks before it. */
  peers?: PeersCheck | null;
}

type Nullable<T> = { [K in keyof T]: T[K] | null };
export type CheckResults = (KernelsBenchResults | (Nullable<Pick<KernelsBenchResults, 'settings' | 'device' | 'leak'>> & Omit<KernelsBenchResults, 'settings' | 'device' | 'leak'>)) & { check: CheckReport };

export function checkMarkdown(r: CheckResults): string {
  const c = r.check;
  const lines = [
    `# GPU check${c.adapters.chosen ? ` on ${c.adapters.chosen.name}` : ''}`,
    '',
    '```',
    c.finding,
    '```',
    '',
    `${c.quick ? 'Quick (reduced) case list' : 'Full case list'}, ${c.totalSeconds.toFixed(0)} s of a ${c.budgetSeconds} s budget${c.kit ? `, from the GPU kit built ${c.kit.builtAt.slice(0, 10)}${c.kit.commit ? ` at ${c.kit.commit.slice(0, 12)}` : ''} (Node ${c.kit.node.version}, webgpu ${c.kit.webgpu.version}, ${c.kit.vulkanLoader})` : ''}.`,
    '',
    ...(c.adapters.libraries ? [`Loaded: ${[...c.adapters.libraries.loader, ...c.adapters.libraries.drivers].join(', ') || 'no Vulkan library'}.`, ''] : []),
    `Adapters Dawn offers: ${c.adapters.list.length ? c.adapters.list.map((a) => `${a.name} (${a.backend})`).join(', ') : 'none'}.${c.adapters.chosen ? ` Chosen: **${c.adapters.chosen.name}**${c.adapters.chosen.software ? ' — a software adapter: every figure below is a CPU\'s' : ''}; features ${c.adapters.chosen.features.join(', ')}${c.adapters.chosen.experimentalFeatures?.length ? `; only with Dawn's unsafe APIs: ${c.adapters.chosen.experimentalFeatures.join(', ')}` : ''}${c.adapters.chosen.subgroupMatrixConfigs?.length ? ` (subgroup matrices: ${c.adapters.chosen.subgroupMatrixConfigs.map(describeMatrixConfig).join(', ')})` : ''}; subgroups ${c.adapters.chosen.subgroupMinSize ?? '?'}–${c.adapters.chosen.subgroupMaxSize ?? '?'}.` : ''}`,
    '',
    '## Parts',
    '',
    '| part | status | seconds | limit | what it showed |',
    '|---|---|---:|---:|---|',
    ...c.parts.map((p) => `| ${p.name} | ${p.status} | ${p.seconds.toFixed(1)} | ${p.limitSeconds} | ${p.summary.replace(/\|/g, '\\|')} |`),
    '',
  ];
  if (c.quality && c.quality.agreement.length) {
    lines.push('## Quality worker: GPU path against the CPU path', '', `One layer, ${c.quality.shape}. GPU ${c.quality.gpu!.secondsPerLayer.toFixed(2)} s/layer, CPU ${c.quality.cpu!.secondsPerLayer.toFixed(2)} s/layer.`, '');
    lines.push('| target | figure | GPU | CPU | abs. difference |', '|---|---|---:|---:|---:|');
    for (const a of c.quality.agreement) lines.push(`| ${a.target} | ${a.field} | ${a.gpu.toPrecision(6)} | ${a.cpu.toPrecision(6)} | ${a.absoluteDifference.toExponential(1)} |`);
    lines.push('');
  }
  if (c.peers) {
    const p = c.peers;
    lines.push('## Peers on the same adapter', '', `Ours beside ONNX Runtime Web ${p.versions.onnxruntimeWeb ?? '?'} (WebGPU, ${p.peerDevices.ort ?? 'its device not reported'}) and llama.cpp ${p.versions.llamaCppRelease ?? '?'} (node-llama-cpp ${p.versions.nodeLlamaCpp ?? '?'}, Vulkan ${p.peerDevices.llamaCpp ?? 'device not opened'}), ${p.shapes} shape${p.shapes === 1 ? '' : 's'}: every row in [${p.file.replace(/\.json$/, '.md')}](${p.file.replace(/\.json$/, '.md')}).${p.software ? ' A software adapter: a CPU\'s figures.' : ''}`, '');
    lines.push('| goal | worst row | rows | met |', '|---|---:|---:|---|');
    for (const g of p.goals) lines.push(`| ${g.goal} | ${g.value === null ? '—' : `${g.value.toFixed(2)}×`} | ${g.rows} | ${g.met === null ? 'not measured' : g.met ? 'yes' : '**no**'} |`);
    lines.push('', ...p.notes.map((n) => `Note: ${n}`), '');
  }
  if (r.device && r.settings && r.leak) lines.push(kernelsMarkdown(r as KernelsBenchResults).replace(/^# /, '## '));
  else lines.push('## Kernel benchmark', '', 'Not run: see the parts above.', '');
  return lines.join('\n');
}
