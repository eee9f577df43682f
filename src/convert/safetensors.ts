import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConvertError } from './convertError';

/** The weight dtypes a checkpoint may store; each is read as float32. */
const ITEM_BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };
/** A header bigger than this is not a safetensors header (the format's own limit is 100 MB). */
const MAX_HEADER = 100 << 20;

/** One tensor of a safetensors shard, read in row ranges with plain reads (a memory map's touched pages would count towards the builder's resident memory). */
export class LazyTensor {
  constructor(
    readonly file: string,
    readonly name: string,
    readonly dtype: string,
    readonly shape: number[],
    private readonly offset: number,
  ) {}

  get rows(): number {
    return this.shape.length ? this.shape[0] : 1;
  }

  /** Values per row. */
  get rowSize(): number {
    return this.shape.slice(1).reduce((a, b) => a * b, 1);
  }

  /** Rows r0..r1 as float32. */
  read(r0 = 0, r1 = this.rows): Float32Array {
    const item = ITEM_BYTES[this.dtype];
    const count = (r1 - r0) * this.rowSize;
    // Read straight into the array the values are used from (F32), or whose halves they widen from.
    const raw = item === 4 ? new Float32Array(count) : new Uint16Array(count);
    const bytes = new Uint8Array(raw.buffer);
    const fd = fs.openSync(this.file, 'r');
    try {
      let done = 0;
      while (done < bytes.length) {
        const n = fs.readSync(fd, bytes, done, bytes.length - done, this.offset + r0 * this.rowSize * item + done);
        if (n === 0) throw new ConvertError(`${this.file}: ${this.name} ends early: the shard is truncated`);
        done += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    if (raw instanceof Float32Array) return raw;
    return this.dtype === 'BF16' ? widenBfloat16(raw) : widenHalf(raw);
  }
}

function widenBfloat16(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Int32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  return out;
}

function widenHalf(halves: Uint16Array): Float32Array {
  const t = halfTable();
  const out = new Float32Array(halves.length);
  for (let i = 0; i < halves.length; i++) out[i] = t[halves[i]];
  return out;
}

let table: Float32Array | undefined;
/** Every float16 bit pattern's float32 value. */
function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    if (exp === 0) table[h] = sign * frac * 2 ** -24;
    else if (exp === 31) table[h] = frac ? NaN : sign * Infinity;
    else table[h] = sign * (1 + frac / 1024) * 2 ** (exp - 15);
  }
  return table;
}

/** The safetensors shards of a checkpoint folder, in its index's order when it has one. */
export function shardFiles(dir: string): string[] {
  const index = path.join(dir, 'model.safetensors.index.json');
  if (fs.existsSync(index)) {
    let map: Record<string, string>;
    try {
      map = JSON.parse(fs.readFileSync(index, 'utf8')).weight_map;
    } catch (e) {
      throw new ConvertError(`${index} is not valid JSON: ${(e as Error).message}`);
    }
    if (!map || typeof map !== 'object') throw new ConvertError(`${index} has no weight_map`);
    const files = [...new Set(Object.values(map))].sort();
    for (const f of files) {
      if (path.basename(f) !== f) throw new ConvertError(`${index} names ${JSON.stringify(f)}, outside the checkpoint folder`);
      if (!fs.existsSync(path.join(dir, f))) throw new ConvertError(`${index} names ${f}, which ${dir} lacks`);
    }
    return files;
  }
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.safetensors'))
    .sort();
}

/** name -> LazyTensor over every shard of a checkpoint folder; each header is checked, no weight read yet. */
export function lazyTensors(dir: string): Map<string, LazyTensor> {
  const files = shardFiles(dir);
  if (!files.length) throw new ConvertError(`no *.safetensors in ${dir}`);
  const out = new Map<string, LazyTensor>();
  for (const f of files) {
    for (const t of readHeader(path.join(dir, f))) {
      if (out.has(t.name)) throw new ConvertError(`${t.name} is in both ${path.basename(out.get(t.name)!.file)} and ${f}`);
      out.set(t.name, t);
    }
  }
  return out;
}

/** The tensors a shard's header lists, each checked against the file's size. */
function readHeader(file: string): LazyTensor[] {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(8);
    if (size < 8 || fs.readSync(fd, head, 0, 8, 0) < 8) throw new ConvertError(`${file}: too short for a safetensors header (${size} bytes)`);
    const n = Number(head.readBigUInt64LE(0));
    if (n > MAX_HEADER || 8 + n > size) throw new ConvertError(`${file}: its header says ${n} bytes, but the file has ${size}: truncated or not safetensors`);
    const text = Buffer.alloc(n);
    fs.readSync(fd, text, 0, n, 8);
    let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
    try {
      header = JSON.parse(text.toString('utf8'));
    } catch (e) {
      throw new ConvertError(`${file}: its header is not valid JSON: ${(e as Error).message}`);
    }
    const data = size - 8 - n;
    const tensors: LazyTensor[] = [];
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const where = `${file}: ${name}`;
      if (!(info?.dtype in ITEM_BYTES)) throw new ConvertError(`${where} has dtype ${info?.dtype}; a weight must be F32, F16 or BF16`);
      const { shape, data_offsets: off } = info;
      if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ConvertError(`${where} has shape ${JSON.stringify(shape)}`);
      if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0))
        throw new ConvertError(`${where} has data_offsets ${JSON.stringify(off)}`);
      const bytes = shape.reduce((a, b) => a * b, 1) * ITEM_BYTES[info.dtype];
      if (off[1] - off[0] !== bytes)
        throw new ConvertError(`${where}: shape [${shape}] in ${info.dtype} is ${bytes} bytes, but its data_offsets span ${off[1] - off[0]}`);
      if (off[1] > data) throw new ConvertError(`${where} ends at byte ${off[1]} of the data, but the file holds ${data}: the shard is truncated`);
      tensors.push(new LazyTensor(file, name, info.dtype, shape, 8 + n + off[0]));
    }
    return tensors;
  } finally {
    fs.closeSync(fd);
  }
}
