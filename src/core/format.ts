/** Number and byte formatting shared by every front end (lens titles, tables, explanations). */

/** 1234567 → "1,234,567" (fast: lenses format on every keystroke; Intl is slow to call). */
export function int(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const neg = n < 0;
  const s = String(Math.round(Math.abs(n)));
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (i > 0 && (s.length - i) % 3 === 0) out += ',';
    out += s[i];
  }
  return neg ? `-${out}` : out;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** Binary units with three significant digits: 131072 → "128 KiB", 17179869184 → "16.0 GiB". */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 ? 0 : v >= 100 ? 0 : v >= 10 ? 1 : 2;
  let text = v.toFixed(digits);
  if (u > 0 && digits > 0 && Number(text) === Math.round(v) && v >= 10) text = v.toFixed(1);
  return `${n < 0 ? '-' : ''}${text} ${UNITS[u]}`;
}

/** 131072 → "128k", 4096 → "4k", 1048576 → "1M" (tokens). */
export function tokens(n: number): string {
  if (n >= 1048576 && n % 1048576 === 0) return `${n / 1048576}M`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024}k`;
  return int(n);
}

export function ratio(x: number): string {
  if (!Number.isFinite(x)) return '∞';
  if (x >= 100) return `${Math.round(x)}×`;
  if (x >= 10) return `${x.toFixed(1)}×`;
  return `${x.toFixed(2)}×`;
}

/** A fraction as a percentage: 0.031 → "3.1%"; three decimals below 0.1% so small errors do not read as 0. */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.001 ? 3 : 1)}%`;
}

/** Parameters: 8030261248 → "8.03B". */
export function params(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e12) return `${(n / 1e12).toFixed(2)}T`;
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

export function signed(text: string, n: number): string {
  return n > 0 ? `+${text}` : text;
}

/** The layer mix: "24 sliding (128) + 12 full layers", "32 full layers" (CLI headers, lens titles). */
export function layerMix(kinds: Partial<Record<'full' | 'sliding' | 'chunked' | 'linear' | 'mamba' | 'conv' | 'shared' | 'none', number>>, windows: { sliding: number[]; chunked: number[] }): string {
  const parts: string[] = [];
  if (kinds.sliding) parts.push(`${kinds.sliding} sliding (${windows.sliding.map(int).join('/')})`);
  if (kinds.chunked) parts.push(`${kinds.chunked} chunked (${windows.chunked.map(int).join('/')})`);
  if (kinds.linear) parts.push(`${kinds.linear} linear`);
  if (kinds.mamba) parts.push(`${kinds.mamba} Mamba`);
  if (kinds.conv) parts.push(`${kinds.conv} conv`);
  if (kinds.shared) parts.push(`${kinds.shared} shared-KV`);
  if (kinds.none) parts.push(`${kinds.none} without attention`);
  if (kinds.full) parts.push(`${kinds.full} full`);
  return parts.length === 1 && kinds.full ? `${kinds.full} full layers` : parts.join(' + ') + ' layers';
}

/** "4th", "2nd" — and "" for 1, so "every ${ordinal(n)} layer" reads "every layer". */
export function ordinal(n: number): string {
  if (n === 1) return '';
  const suffix = n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th';
  return `${n}${suffix}`;
}
