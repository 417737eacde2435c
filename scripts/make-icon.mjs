// Draws media/icon.png (128×128): a causal attention matrix — the lower triangle of a 8×8 grid, its
// cells shaded by weight — behind a lens ring. Run once when the design changes; the PNG is committed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const px = new Uint8Array(SIZE * SIZE * 4);
const set = (x, y, [r, g, b, a]) => {
  const i = (y * SIZE + x) * 4;
  const t = a / 255;
  px[i] = Math.round(px[i] * (1 - t) + r * t);
  px[i + 1] = Math.round(px[i + 1] * (1 - t) + g * t);
  px[i + 2] = Math.round(px[i + 2] * (1 - t) + b * t);
  px[i + 3] = Math.max(px[i + 3], a);
};
// Rounded dark tile.
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    const dx = Math.max(0, Math.abs(x - 63.5) - 46), dy = Math.max(0, Math.abs(y - 63.5) - 46);
    if (Math.hypot(dx, dy) <= 18) set(x, y, [30, 30, 46, 255]);
  }
}
// Causal attention grid: row q attends to keys 0..q; recent keys weigh more.
const cells = 8, cell = 11, gap = 2, origin = 14;
for (let q = 0; q < cells; q++) {
  for (let k = 0; k <= q; k++) {
    const w = 0.35 + 0.65 * Math.exp(-(q - k) / 2.2);
    const color = [Math.round(70 + 80 * w), Math.round(120 + 90 * w), 255, 255];
    for (let y = 0; y < cell; y++) for (let x = 0; x < cell; x++) set(origin + k * (cell + gap) + x, origin + q * (cell + gap) + y, color);
  }
}
// Lens: a ring with a handle, anti-aliased by distance.
const cx = 80, cy = 52, r = 26;
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    const ring = Math.abs(Math.hypot(x - cx, y - cy) - r) - 4;
    if (ring < 1) set(x, y, [250, 200, 90, Math.round(255 * Math.min(1, 1 - ring))]);
    // Handle from the ring towards the lower right.
    const t = Math.max(0, Math.min(1, ((x - cx) + (y - cy)) / 2 / 44));
    const hx = cx + 20 + t * 24, hy = cy + 20 + t * 24;
    const d = Math.hypot(x - hx, y - hy) - 6;
    if (t > 0 && d < 1) set(x, y, [250, 200, 90, Math.round(255 * Math.min(1, 1 - d))]);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
const chunk = (type, data) => {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const sum = Buffer.alloc(4); sum.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, sum]);
};
const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0); header.writeUInt32BE(SIZE, 4); header[8] = 8; header[9] = 6;
const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) Buffer.from(px.subarray(y * SIZE * 4, (y + 1) * SIZE * 4)).copy(raw, y * (SIZE * 4 + 1) + 1);
writeFileSync(new URL('../media/icon.png', import.meta.url), Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
]));
