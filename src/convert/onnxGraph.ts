import * as fs from 'node:fs';
import { onnx } from 'onnx-proto';
import { ConvertError } from './convertError';

export const OPSET = 17;
/** MatMulNBits' domain. */
export const MS_DOMAIN = 'com.microsoft';
/** onnxruntime can map an aligned external tensor without a copy. */
const ALIGN = 64;

export type DType = 'float32' | 'float16' | 'uint8' | 'int8' | 'int32' | 'int64';
export const ONNX_TYPE: Record<DType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, float16: 10 };
export const ITEM_BYTES: Record<DType, number> = { float32: 4, float16: 2, uint8: 1, int8: 1, int32: 4, int64: 8 };

/** A float attribute; a plain number is an int (ONNX keeps the two apart). */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export type AttrValue = number | number[] | string | FloatAttr;

/** A dimension: a size, or a symbolic name. */
export type Dim = number | string;

/**
 * An ONNX graph written node by node, its weights streamed into one external data file as they are
 * made: the builder holds a chunk at a time, and the protobuf stays small at any model size
 * (protobuf's limit is 2 GB).
 */
export class Graph {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private usesMsDomain = false;
  private count = 0;
  private readonly fd: number;
  private dataBytes = 0;

  constructor(
    private readonly dataPath: string,
    private readonly dataName: string,
  ) {
    this.fd = fs.openSync(dataPath, 'w');
  }

  /** Adds a node; returns its output's name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, options: { domain?: string; name?: string } = {}): string {
    return this.opN(opType, inputs, 1, attrs, options)[0];
  }

  /** Adds a node with several outputs; returns their names. */
  opN(opType: string, inputs: string[], outputs: number, attrs: Record<string, AttrValue> = {}, options: { domain?: string; name?: string } = {}): string[] {
    const base = `${options.name ?? opType.toLowerCase()}_${++this.count}`;
    const names = outputs === 1 ? [base] : Array.from({ length: outputs }, (_, i) => `${base}_out${i}`);
    const domain = options.domain ?? '';
    if (domain === MS_DOMAIN) this.usesMsDomain = true;
    this.nodes.push({ opType, input: inputs, output: names, name: base, domain, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) });
    return names;
  }

  /** A small constant kept inside the protobuf. */
  const(values: number | number[], dtype: DType = 'int64', name = 'const'): string {
    const list = typeof values === 'number' ? [values] : values;
    const n = `${name}_${++this.count}`;
    this.initializers.push({ name: n, dataType: ONNX_TYPE[dtype], dims: typeof values === 'number' ? [] : [list.length], rawData: encode(list, dtype) });
    return n;
  }

  /** Appends a tensor to the data file from chunks whose bytes, in order, are the tensor's. */
  weight(name: string, dims: number[], dtype: DType, chunks: Iterable<Uint8Array>): string {
    this.write(new Uint8Array(-this.dataBytes & (ALIGN - 1)), name);
    const offset = this.dataBytes;
    for (const chunk of chunks) this.write(chunk, name);
    const length = this.dataBytes - offset;
    const want = dims.reduce((a, b) => a * b, 1) * ITEM_BYTES[dtype];
    if (length !== want) throw new Error(`${name}: wrote ${length} bytes for shape [${dims}], expected ${want}`);
    this.initializers.push({
      name,
      dataType: ONNX_TYPE[dtype],
      dims,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: this.dataName },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(length) },
      ],
    });
    return name;
  }

  input(name: string, dtype: DType, shape: Dim[]): string {
    this.inputs.push(valueInfo(name, dtype, shape));
    return name;
  }

  output(value: string, name: string, dtype: DType, shape: Dim[]): void {
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `output_${name}` });
    this.outputs.push(valueInfo(name, dtype, shape));
  }

  /** Writes the graph beside its data file; the data file is complete (and closed) first. */
  save(path: string, props: Record<string, string>, producer: string): void {
    this.closeData();
    const model = onnx.ModelProto.create({
      irVersion: 8, // onnxruntime 1.23 reads up to 10; 8 is what opset 17 came with
      producerName: producer,
      opsetImport: [{ domain: '', version: OPSET }, ...(this.usesMsDomain ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
      metadataProps: Object.entries(props).map(([key, value]) => ({ key, value })),
      graph: { name: 'diffusion_infill', node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    });
    const bytes = onnx.ModelProto.encode(model).finish();
    try {
      fs.writeFileSync(path, bytes);
    } catch (e) {
      throw new ConvertError(`writing ${path}: ${(e as Error).message}`);
    }
  }

  /** Closes the data file (also after a failure, so the folder can be removed). */
  closeData(): void {
    if (this.closed) return;
    this.closed = true;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
  }
  private closed = false;

  private write(bytes: Uint8Array, tensor: string): void {
    try {
      for (let done = 0; done < bytes.length;) done += fs.writeSync(this.fd, bytes, done, bytes.length - done);
    } catch (e) {
      throw new ConvertError(`writing ${tensor} to ${this.dataPath}: ${(e as Error).message}`);
    }
    this.dataBytes += bytes.length;
  }
}

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (v instanceof FloatAttr) return { name, type: T.FLOAT, f: v.value };
  if (typeof v === 'string') return { name, type: T.STRING, s: Buffer.from(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.INT, i: v };
}

function valueInfo(name: string, dtype: DType, shape: Dim[]): onnx.IValueInfoProto {
  const dim = shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: ONNX_TYPE[dtype], shape: { dim } } } };
}

/** Little-endian bytes of values in dtype. */
export function encode(values: number[], dtype: DType): Uint8Array {
  switch (dtype) {
    case 'float32':
      return bytesOf(Float32Array.from(values));
    case 'int64':
      return bytesOf(BigInt64Array.from(values.map((v) => BigInt(v))));
    case 'int32':
      return bytesOf(Int32Array.from(values));
    case 'uint8':
      return Uint8Array.from(values);
    case 'int8':
      return bytesOf(Int8Array.from(values));
    case 'float16':
      throw new Error('float16 constants are not written');
  }
}

export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
