/**
 * What `gpu:check` reads back from its parts: the GPU tests' TAP summary, and the quality bench's
 * figures on the GPU path held against the CPU path's.
 */

export interface TestsSummary {
  tests: number;
  pass: number;
  fail: number;
  skipped: number;
  cancelled: number;
  durationMs: number | null;
  /** Names of the failed tests. */
  failures: string[];
}

/** Node's TAP reporter: `# pass 12` lines at the end, `not ok 3 - name` for each failure. */
export function parseTap(tap: string): TestsSummary | null {
  const count = (key: string): number | null => {
    const m = tap.match(new RegExp(`^# ${key} (\\d+(?:\\.\\d+)?)$`, 'm'));
    return m ? Number(m[1]) : null;
  };
  const tests = count('tests');
  if (tests === null) return null;
  const failures = [...tap.matchAll(/^\s*not ok \d+ - (.*?)(?: # .*)?$/gm)].map((m) => m[1]!.trim());
  return { tests, pass: count('pass') ?? 0, fail: count('fail') ?? 0, skipped: count('skipped') ?? 0, cancelled: count('cancelled') ?? 0, durationMs: count('duration_ms'), failures: [...new Set(failures)] };
}

export interface QualityFigures {
  target: string;
  kRelError: number;
  vRelError: number;
  energyRetained?: number;
  rank99?: number;
}

export interface QualityRun {
  device: string;
  secondsPerLayer: number;
  backend: unknown;
  stagesMsPerLayer: Record<string, number>;
  conversions: QualityFigures[];
}

export interface QualityAgreement {
  target: string;
  field: 'kRelError' | 'vRelError' | 'energyRetained';
  gpu: number;
  cpu: number;
  /** |gpu − cpu|: errors and energies are fractions, so this is in the same unit. */
  absoluteDifference: number;
}

/**
 * Where the f32 GPU path and the f64 CPU path are held to agree. The GPU tests hold small shapes to
 * 1e-5 (qualityBackend.test.ts); a 4096-wide Gram and eigenproblem in f32 carries more rounding.
 */
export const QUALITY_AGREEMENT = 1e-4;

/** The bench's `--json` file → its "all of the above" row. */
export function qualityRun(json: unknown, device: string): QualityRun | null {
  const measured = (json as { measured?: unknown[] } | null)?.measured;
  if (!Array.isArray(measured) || measured.length === 0) return null;
  const row = measured[measured.length - 1] as { secondsPerLayer?: number; backend?: unknown; mlaStagesMsPerLayer?: Record<string, number>; conversions?: QualityFigures[] };
  if (typeof row.secondsPerLayer !== 'number' || !Array.isArray(row.conversions)) return null;
  return { device, secondsPerLayer: row.secondsPerLayer, backend: row.backend ?? null, stagesMsPerLayer: row.mlaStagesMsPerLayer ?? {}, conversions: row.conversions };
}

/** Every figure both paths report, side by side. */
export function compareQuality(gpu: QualityRun, cpu: QualityRun): QualityAgreement[] {
  const out: QualityAgreement[] = [];
  for (const g of gpu.conversions) {
    const c = cpu.conversions.find((x) => x.target === g.target);
    if (!c) continue;
    for (const field of ['kRelError', 'vRelError', 'energyRetained'] as const) {
      const a = g[field];
      const b = c[field];
      if (typeof a !== 'number' || typeof b !== 'number') continue;
      out.push({ target: g.target, field, gpu: a, cpu: b, absoluteDifference: Math.abs(a - b) });
    }
  }
  return out;
}
