/**
 * What gpu:check says about its peers part: bench:peers' results file (bench/peers.ts) reduced to one
 * line for the parts table, and the goals, devices and versions for the check's JSON and markdown.
 */
import { times, type PeerRow, type PeersResults } from '../peers/peersMarkdown';
import type { PeerGoal } from '../peers/stepTiming';

export interface PeersCheck {
  /** bench:peers' results file, written beside the check's own. */
  file: string;
  adapter: string;
  software: boolean;
  versions: PeersResults['versions'];
  peerDevices: PeersResults['peerDevices'];
  goals: PeerGoal[];
  shapes: number;
  /** One line: each peer's speedup range over the shapes it ran and its goal, or why it has none. */
  summary: string;
  notes: string[];
}

function peerLine(name: string, speedups: (number | null)[], goal: PeerGoal | undefined, rows: PeerRow[], why: (r: PeerRow) => string | undefined): string {
  const measured = speedups.filter((s): s is number => s !== null);
  if (!measured.length) {
    const reason = rows.map(why).find((w) => w !== undefined);
    return `${name}: ${reason ?? 'not timed'}`;
  }
  const lo = Math.min(...measured);
  const hi = Math.max(...measured);
  const range = lo === hi ? times(lo) : `${times(lo).slice(0, -1)}–${times(hi)}`;
  const met = goal?.met === true ? 'met' : goal?.met === false ? 'NOT met' : 'not judged';
  return `${name}: its step / ours ${range} over ${measured.length} of ${rows.length} shapes (goal ≥ ${goal?.target ?? '?'}×: ${met})`;
}

export function peersSummary(p: PeersResults, file: string): PeersCheck {
  const [ortGoal, llamaGoal] = p.goals;
  const summary = [
    peerLine('ONNX Runtime', p.rows.map((r) => r.ortSpeedup), ortGoal, p.rows, (r) => r.ortNote),
    peerLine(`llama.cpp${p.settings.llamaCppFlashAttention === false ? ' (flash attention off)' : ''}`, p.rows.map((r) => r.llamaCppSpeedup), llamaGoal, p.rows, (r) => r.llamaCppNote),
  ].join('; ');
  return { file, adapter: p.adapter, software: p.software, versions: p.versions, peerDevices: p.peerDevices, goals: p.goals, shapes: p.rows.length, summary, notes: p.notes };
}
