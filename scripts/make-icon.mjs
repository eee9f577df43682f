// node scripts/make-icon.mjs: draws media/icon.png (128x128), the extension's icon: lines of code
// on a dark tile, some tokens committed (coloured blue to red by step, as the Drafts panel does)
// and some still masked (light, hatched), i.e. code half-way through denoising. No dependencies:
// the PNG is written with zlib, each pixel supersampled 4x4 for smooth edges.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';

const SIZE = 128;
const SS = 4;
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'media', 'icon.png');

/** The tile, rounded. */
const tile = { x: 4, y: 4, w: 120, h: 120, r: 22 };
/** Rows of tokens: [x, width, kind] with kind a step (0..1, committed) or 'mask'. */
const rows = [
  {
    y: 24,
    tokens: [
      [18, 30, 0.0],
      [52, 22, 0.15],
      [78, 32, 'mask'],
    ],
  },
  {
    y: 44,
    tokens: [
      [30, 18, 0.35],
      [52, 28, 'mask'],
      [84, 22, 0.55],
    ],
  },
  {
    y: 64,
    tokens: [
      [30, 26, 'mask'],
      [60, 16, 0.7],
      [80, 30, 'mask'],
    ],
  },
  {
    y: 84,
    tokens: [
      [30, 34, 0.85],
      [68, 22, 'mask'],
    ],
  },
  { y: 104, tokens: [[18, 14, 1.0]] },
];
const TOKEN_H = 12;

function inRoundRect(px, py, { x, y, w, h, r }) {
  if (px < x || py < y || px >= x + w || py >= y + h) return false;
  const cx = Math.min(Math.max(px, x + r), x + w - r);
  const cy = Math.min(Math.max(py, y + r), y + h - r);
  return (px - cx) ** 2 + (py - cy) ** 2 <= r * r;
}

/** hsl -> rgb, h in degrees, s and l in 0..1. */
function hsl(h, s, l) {
  const k = (n) => (n + h / 30) % 12;
  const a = s * Math.min(l, 1 - l);
  const f = (n) => l - a * Math.max(-1, Math.min(k(n) - 3, 9 - k(n), 1));
  return [f(0) * 255, f(8) * 255, f(4) * 255];
}

/** The colour of a sample point, with alpha. */
function sample(px, py) {
  if (!inRoundRect(px, py, tile)) return [0, 0, 0, 0];
  for (const row of rows) {
    for (const [x, w, kind] of row.tokens) {
      if (!inRoundRect(px, py, { x, y: row.y - TOKEN_H / 2, w, h: TOKEN_H, r: 3 })) continue;
      if (kind === 'mask') {
        // Masked: a light hatch, as the ░ the drafts show.
        const hatch = (Math.floor(px) + Math.floor(py)) % 4 < 2;
        return hatch ? [196, 204, 220, 255] : [92, 102, 124, 255];
      }
      return [...hsl(220 - 220 * kind, 0.75, 0.55), 255];
    }
  }
  // The tile: a dark editor blue, lighter at the top.
  const t = (py - tile.y) / tile.h;
  return [30 - 8 * t, 36 - 8 * t, 52 - 10 * t, 255];
}

const pixels = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let y = 0; y < SIZE; y++) {
  pixels[y * (SIZE * 4 + 1)] = 0; // filter: none
  for (let x = 0; x < SIZE; x++) {
    const sum = [0, 0, 0, 0];
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const [r, g, b, a] = sample(x + (sx + 0.5) / SS, y + (sy + 0.5) / SS);
        sum[0] += r * a;
        sum[1] += g * a;
        sum[2] += b * a;
        sum[3] += a;
      }
    }
    const o = y * (SIZE * 4 + 1) + 1 + x * 4;
    const alpha = sum[3] / (SS * SS);
    for (let c = 0; c < 3; c++) pixels[o + c] = sum[3] ? Math.round(sum[c] / sum[3]) : 0;
    pixels[o + 3] = Math.round(alpha);
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', zlib.deflateSync(pixels, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
fs.writeFileSync(out, png);
console.log(`${path.relative(process.cwd(), out)}: ${SIZE}x${SIZE}, ${png.length} bytes`);
