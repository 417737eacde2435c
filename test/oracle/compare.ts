/**
 * Our `kv --runtime llamacpp --json` against the caches llama.cpp allocated. llama.cpp prints MiB with two
 * decimals of a float ((float)bytes / (1024.0f*1024.0f), "%7.2f", src/llama-kv-cache.cpp:301), so a
 * byte figure matches when it prints the same; cells and layers match exactly.
 */
import type { ContextAllocation, ContextRequest, KvCacheLine } from './llamaCpp';

/** The part of the `kv --json` contract the oracle reads. */
export interface OursJson {
  model: { maxContextTokens: number };
  kv: {
    kDtype: string;
    vDtype: string;
    contextTokens: number;
    totalBytes: number;
    stateBytes: number;
    perLayer: Array<{ layer: number; kind: string; kBytesPerToken: number; vBytesPerToken: number; cachedTokens: number }>;
  };
  attention: { recurrentState: null | { bytesPerSequence: number; layers: number } };
}

export interface CacheFigures {
  role: string;
  cells: number;
  layers: number;
  kBytes: number;
  vBytes: number;
}

export interface Comparison {
  llamaCpp: { nCtx: number; caches: Array<Omit<KvCacheLine, 'seqs'>>; recurrent: Array<{ layers: number; totalMiB: number; rMiB: number; sMiB: number; pMiB: number }> };
  ours: { caches: CacheFigures[]; stateBytes: number; recurrentLayers: number };
  mismatches: string[];
}

const RECURRENT_KINDS = new Set(['mamba', 'linear', 'conv']);
const WINDOWED_KINDS = new Set(['sliding', 'chunked']);

/** What llama.cpp prints for a byte count. */
export function llamaCppMiB(bytes: number): string {
  return (Math.fround(Math.fround(bytes) / Math.fround(1024 * 1024))).toFixed(2);
}

/** Within the two-decimal rounding (a half-way tie may print either way). */
function sameMiB(bytes: number, printed: number): boolean {
  return Math.abs(Math.fround(bytes) / 2 ** 20 - printed) <= 0.005 + 1e-9;
}

export function compareAllocation(ours: OursJson, llama: ContextAllocation, request: ContextRequest): Comparison {
  const mismatches: string[] = [];
  // Every layer that holds cells is an entry of llama.cpp's cache, zero-width ones included (Nemotron-NAS).
  const cached = ours.kv.perLayer.filter((l) => l.cachedTokens > 0);
  const split = llama.kv.some((c) => /SWA/.test(c.role));
  const groups = new Map<string, typeof cached>();
  for (const l of cached) {
    const role = !split ? '' : WINDOWED_KINDS.has(l.kind) ? 'SWA' : 'non-SWA';
    groups.set(role, [...(groups.get(role) ?? []), l]);
  }
  const caches: CacheFigures[] = [...groups].map(([role, layers]) => {
    const cells = new Set(layers.map((l) => l.cachedTokens));
    if (cells.size > 1) mismatches.push(`our ${role || 'KV'} layers keep different token counts (${[...cells].join(', ')}); llama.cpp gives one cache one size`);
    const n = layers[0]!.cachedTokens;
    return {
      role,
      cells: n,
      layers: layers.length,
      kBytes: layers.reduce((s, l) => s + l.kBytesPerToken * n, 0),
      vBytes: layers.reduce((s, l) => s + l.vBytesPerToken * n, 0),
    };
  });
  const theirs = llama.kv.filter((c) => c.layers > 0);
  const dtype = (t: string): string => t.toLowerCase();
  if (theirs.length !== caches.length) {
    mismatches.push(`llama.cpp made ${theirs.length} KV cache(s) [${theirs.map((c) => `${c.role || 'KV'}: ${c.layers} layers`).join('; ')}], we have ${caches.length} [${caches.map((c) => `${c.role || 'KV'}: ${c.layers} layers`).join('; ')}]`);
  }
  for (const t of theirs) {
    const role = /non-SWA/.test(t.role) ? 'non-SWA' : /SWA/.test(t.role) ? 'SWA' : '';
    const mine = caches.find((c) => c.role === role);
    const name = role || 'KV cache';
    if (!mine) continue;
    if (t.kType !== dtype(request.kType) || t.vType !== dtype(request.vType)) mismatches.push(`${name}: llama.cpp stored K ${t.kType} / V ${t.vType}, asked for ${request.kType} / ${request.vType}`);
    if (mine.cells !== t.cells) mismatches.push(`${name}: ${t.cells} cells in llama.cpp, ${mine.cells} ours`);
    if (mine.layers !== t.layers) mismatches.push(`${name}: ${t.layers} layers in llama.cpp, ${mine.layers} ours`);
    if (!sameMiB(mine.kBytes, t.kMiB)) mismatches.push(`${name}: K ${t.kMiB.toFixed(2)} MiB in llama.cpp, ours ${mine.kBytes} B = ${llamaCppMiB(mine.kBytes)} MiB`);
    if (!sameMiB(mine.vBytes, t.vMiB)) mismatches.push(`${name}: V ${t.vMiB.toFixed(2)} MiB in llama.cpp, ours ${mine.vBytes} B = ${llamaCppMiB(mine.vBytes)} MiB`);
  }
  const recurrentLayers = ours.kv.perLayer.filter((l) => RECURRENT_KINDS.has(l.kind)).length;
  const rs = llama.recurrent;
  if (rs.length > 1) mismatches.push(`llama.cpp made ${rs.length} recurrent caches`);
  if (rs.length === 0 && ours.kv.stateBytes > 0) mismatches.push(`we count ${ours.kv.stateBytes} B of recurrent state; llama.cpp allocated none`);
  for (const r of rs) {
    if (r.cells !== 1) mismatches.push(`llama.cpp kept ${r.cells} recurrent cells for one sequence`);
    if (r.pMiB !== 0) mismatches.push(`llama.cpp kept ${r.pMiB} MiB of rollback snapshots (n_rs_seq > 0), which we do not model`);
    // llama.cpp prints the model's layer count here, attention layers included (llama-memory-recurrent.cpp:29, :133).
    if (r.layers !== ours.kv.perLayer.length) mismatches.push(`recurrent cache over ${r.layers} layers in llama.cpp, ${ours.kv.perLayer.length} ours`);
    if (!sameMiB(ours.kv.stateBytes, r.totalMiB)) {
      mismatches.push(`recurrent state: R ${r.rMiB.toFixed(2)} + S ${r.sMiB.toFixed(2)} MiB (${r.rType}/${r.sType}) in llama.cpp, ours ${ours.kv.stateBytes} B = ${llamaCppMiB(ours.kv.stateBytes)} MiB`);
    }
  }
  return {
    llamaCpp: {
      nCtx: llama.nCtx,
      caches: llama.kv.map(({ seqs: _seqs, ...c }) => c),
      recurrent: rs.map((r) => ({ layers: r.layers, totalMiB: r.totalMiB, rMiB: r.rMiB, sMiB: r.sMiB, pMiB: r.pMiB })),
    },
    ours: { caches, stateBytes: ours.kv.stateBytes, recurrentLayers },
    mismatches,
  };
}
