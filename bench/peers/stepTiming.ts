/**
 * The peer benchmark's timing arithmetic: decode steps timed one by one on the wall clock, several
 * contenders interleaved (a step of each in turn, so a machine that slows down or speeds up during the
 * run weighs on all of them alike), summarized by their median; ratios and the goals from the
 * medians. No GPU here: the steps are closures, the clock can be injected, and the unit tests drive it.
 */

export interface StepSummary {
  medianUs: number;
  p90Us: number;
  minUs: number;
  samples: number;
}

/** Median (the upper one of an even count, as src/gpu/timing.ts takes it), p90 and minimum of µs samples. */
export function summarize(samplesUs: readonly number[]): StepSummary {
  if (samplesUs.length === 0) throw new Error('summarize: no samples');
  const sorted = [...samplesUs].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { medianUs: at(0.5), p90Us: at(0.9), minUs: sorted[0]!, samples: sorted.length };
}

export interface Contender {
  name: string;
  /** One decode step, resolved when its result is back on the CPU. */
  step: () => Promise<unknown>;
  /** Run after each step, untimed: puts the state back so every step is the same step (llama.cpp drops the token it added). */
  reset?: () => Promise<unknown>;
}

export interface InterleaveOptions {
  warmup: number;
  samples: number;
  /** Fewer samples (never under minSamples) when the warm-up shows the full count would take longer than this. */
  maxSeconds: number;
  minSamples: number;
  /** µs clock; performance.now() × 1000 unless a test injects one. */
  nowUs?: () => number;
}

export interface InterleaveResult {
  /** Per contender, in the order given. */
  summaries: StepSummary[];
  /** Samples taken per contender (the budget may have cut them). */
  samples: number;
  /** Why fewer samples than asked, when so. */
  note?: string;
}

/**
 * Warm-up steps of each contender, then rounds of one timed step of each in turn (each followed by its
 * untimed reset). The warm-up's last round (its steps, not its resets) estimates a round's time; when
 * samples × that exceeds maxSeconds, fewer rounds are taken.
 */
export async function interleaveSteps(contenders: readonly Contender[], o: InterleaveOptions): Promise<InterleaveResult> {
  const now = o.nowUs ?? ((): number => performance.now() * 1000);
  let roundUs = 0;
  for (let w = 0; w < Math.max(1, o.warmup); w++) {
    let spent = 0;
    for (const c of contenders) {
      const t0 = now();
      await c.step();
      spent += now() - t0;
      await c.reset?.();
    }
    roundUs = spent;
  }
  const affordable = roundUs > 0 ? Math.floor((o.maxSeconds * 1e6) / roundUs) : o.samples;
  const samples = Math.max(o.minSamples, Math.min(o.samples, affordable));
  const times: number[][] = contenders.map(() => []);
  for (let s = 0; s < samples; s++) {
    for (const [i, c] of contenders.entries()) {
      const t0 = now();
      await c.step();
      times[i]!.push(now() - t0);
      await c.reset?.();
    }
  }
  const note = samples < o.samples ? `${samples} samples, not ${o.samples}: a round of steps took ${(roundUs / 1e3).toFixed(0)} ms, and ${o.samples} would exceed the ${o.maxSeconds} s per case` : undefined;
  return { summaries: times.map(summarize), samples, ...(note ? { note } : {}) };
}

/** How many times longer the peer's step takes than ours: above 1, ours is faster. Null when either is missing. */
export function speedup(peerUs: number | null | undefined, oursUs: number | null | undefined): number | null {
  if (peerUs === null || peerUs === undefined || oursUs === null || oursUs === undefined || !(oursUs > 0) || !(peerUs > 0)) return null;
  return peerUs / oursUs;
}

export interface PeerGoal {
  goal: string;
  /** The worst case over the measured rows (the smallest speedup), or null when none was measured. */
  value: number | null;
  target: number;
  met: boolean | null;
  /** Rows the value is taken over. */
  rows: number;
}

/** A goal over rows' speedups: met when every measured row reaches the target (reported, never asserted). */
export function speedupGoal(goal: string, speedups: readonly (number | null)[], target: number): PeerGoal {
  const measured = speedups.filter((s): s is number => s !== null);
  const value = measured.length ? Math.min(...measured) : null;
  return { goal, value, target, met: value === null ? null : value >= target, rows: measured.length };
}
