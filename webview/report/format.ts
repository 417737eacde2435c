/** The engine's formatting (src/core/format.ts, pure) plus what only the page needs. */
import { bytes, int, params, percent, ratio, signed, tokens } from '../../src/core/format';

export { bytes, int, params, percent, ratio, signed, tokens };

/** Contexts at or above this are "unbounded" (the engine's MAX_CONTEXT_TOKENS). */
export const UNBOUNDED_TOKENS = 2 ** 31;

export function maxContext(n: number | null): string {
  if (n === null) return 'doesn’t fit';
  if (n >= UNBOUNDED_TOKENS) return 'unbounded';
  return int(n);
}

export const hasFiniteMax = (n: number | null): n is number => n !== null && Number.isFinite(n) && n > 0 && n < UNBOUNDED_TOKENS;

const BIN = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
/** Axis labels at powers of two: 2^26 → "64 MiB". */
export function pow2Bytes(v: number): string {
  const e = Math.round(Math.log2(v));
  if (Math.abs(2 ** e - v) > v * 1e-9) return bytes(v);
  const u = Math.min(BIN.length - 1, Math.floor(e / 10));
  return `${2 ** (e - u * 10)} ${BIN[u]}`;
}

/** Microseconds: 0.5 → "0.5 µs", 1500 → "1.5 ms", 2.5e6 → "2.5 s". */
export function micros(us: number): string {
  const trim = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(2)).replace(/\.0+$|(\.\d*?)0+$/, '$1');
  if (us >= 1e6) return `${trim(us / 1e6)} s`;
  if (us >= 1e3) return `${trim(us / 1e3)} ms`;
  return `${trim(us)} µs`;
}

/** A deterministic date: "2026-11-24 16:32 UTC" (no locale: exports read the same everywhere). */
export function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export const signedParams = (n: number): string => (n === 0 ? '±0' : signed(params(n), n));
