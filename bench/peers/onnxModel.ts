/**
 * A minimal ONNX protobuf writer: just enough of onnx.proto (ModelProto, GraphProto, NodeProto,
 * AttributeProto, ValueInfoProto, TypeProto, TensorShapeProto, TensorProto, OperatorSetIdProto) to
 * write a one-node model, so the peer benchmark needs no model file and no protobuf dependency.
 * Field numbers are onnx.proto's (github.com/onnx/onnx, onnx/onnx.proto), cited at each write.
 *
 * The model it exists for: ONNX Runtime's com.microsoft.GroupQueryAttention contrib op in its decode
 * form (one new token over a past K/V cache), docs/ContribOperators.md in microsoft/onnxruntime.
 */

/** TensorProto.DataType (onnx.proto): FLOAT = 1, INT32 = 6, FLOAT16 = 10. */
export const ONNX_FLOAT = 1;
export const ONNX_INT32 = 6;
export const ONNX_FLOAT16 = 10;
export type OnnxElemType = typeof ONNX_FLOAT | typeof ONNX_INT32 | typeof ONNX_FLOAT16;

/** AttributeProto.AttributeType (onnx.proto): FLOAT = 1, INT = 2, STRING = 3. */
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;

/** Protobuf wire types. */
const VARINT = 0;
const LEN = 2;
const I32 = 5;

/** A growable byte buffer with protobuf's primitive encodings. */
export class ProtoWriter {
  private bytes: number[] = [];

  /** Unsigned varint; negative int64 values are written as their 10-byte two's complement, as protobuf does. */
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    do {
      let byte = Number(v & 0x7fn);
      v >>= 7n;
      if (v !== 0n) byte |= 0x80;
      this.bytes.push(byte);
    } while (v !== 0n);
    return this;
  }

  private tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  int(field: number, value: number | bigint): this {
    return this.tag(field, VARINT).varint(value);
  }

  float(field: number, value: number): this {
    this.tag(field, I32);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    this.bytes.push(...b);
    return this;
  }

  raw(field: number, data: Uint8Array): this {
    this.tag(field, LEN).varint(data.length);
    for (const b of data) this.bytes.push(b);
    return this;
  }

  string(field: number, value: string): this {
    return this.raw(field, new TextEncoder().encode(value));
  }

  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.raw(field, inner.finish());
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export type OnnxAttribute = { name: string; int: number } | { name: string; float: number } | { name: string; string: string };

export interface OnnxNode {
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes: OnnxAttribute[];
}

/** A graph input or output: name, element type, and dims (a number, or a name for a symbolic dim). */
export interface OnnxValueInfo {
  name: string;
  elemType: OnnxElemType;
  dims: (number | string)[];
}

export interface OnnxModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  graph: { name: string; nodes: OnnxNode[]; inputs: OnnxValueInfo[]; outputs: OnnxValueInfo[] };
}

function writeAttribute(w: ProtoWriter, a: OnnxAttribute): void {
  w.string(1, a.name); // AttributeProto.name = 1
  if ('int' in a) {
    w.int(20, ATTR_INT); // AttributeProto.type = 20
    w.int(3, a.int); // AttributeProto.i = 3
  } else if ('float' in a) {
    w.int(20, ATTR_FLOAT);
    w.float(2, a.float); // AttributeProto.f = 2
  } else {
    w.int(20, ATTR_STRING);
    w.string(4, a.string); // AttributeProto.s = 4 (bytes)
  }
}

function writeNode(w: ProtoWriter, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i); // NodeProto.input = 1
  for (const o of n.outputs) w.string(2, o); // NodeProto.output = 2
  w.string(3, n.name); // NodeProto.name = 3
  w.string(4, n.opType); // NodeProto.op_type = 4
  for (const a of n.attributes) w.message(5, (m) => writeAttribute(m, a)); // NodeProto.attribute = 5
  if (n.domain) w.string(7, n.domain); // NodeProto.domain = 7
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(1, v.name); // ValueInfoProto.name = 1
  w.message(2, (type) => // ValueInfoProto.type = 2 (TypeProto)
    type.message(1, (tensor) => { // TypeProto.tensor_type = 1 (TypeProto.Tensor)
      tensor.int(1, v.elemType); // TypeProto.Tensor.elem_type = 1
      tensor.message(2, (shape) => { // TypeProto.Tensor.shape = 2 (TensorShapeProto)
        for (const d of v.dims) {
          shape.message(1, (dim) => { // TensorShapeProto.dim = 1 (Dimension)
            if (typeof d === 'number') dim.int(1, d); // Dimension.dim_value = 1
            else dim.string(2, d); // Dimension.dim_param = 2
          });
        }
      });
    }));
}

/** ModelProto bytes (what InferenceSession.create takes). */
export function encodeModel(m: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, m.irVersion); // ModelProto.ir_version = 1
  w.string(2, m.producer); // ModelProto.producer_name = 2
  w.message(7, (g) => { // ModelProto.graph = 7 (GraphProto)
    for (const n of m.graph.nodes) g.message(1, (x) => writeNode(x, n)); // GraphProto.node = 1
    g.string(2, m.graph.name); // GraphProto.name = 2
    for (const i of m.graph.inputs) g.message(11, (x) => writeValueInfo(x, i)); // GraphProto.input = 11
    for (const o of m.graph.outputs) g.message(12, (x) => writeValueInfo(x, o)); // GraphProto.output = 12
  });
  for (const o of m.opsets) {
    w.message(8, (x) => { // ModelProto.opset_import = 8 (OperatorSetIdProto)
      x.string(1, o.domain); // OperatorSetIdProto.domain = 1 ("" is ai.onnx)
      x.int(2, o.version); // OperatorSetIdProto.version = 2
    });
  }
  return w.finish();
}

/** IR version 8 goes with opset 17 (onnx/helper.py's VERSION_TABLE: 1.12.0 → IR 8, ai.onnx 17). */
export const IR_VERSION = 8;

export interface GqaDecodeShape {
  qHeads: number;
  kvHeads: number;
  headDim: number;
  /** Tokens the cache holds (past_key/past_value's sequence axis): the past, or max_sequence_length when past and present share one buffer. */
  cacheTokens: number;
  /** Past and present are the same buffer (the cache is cacheTokens long either side); else present is one token longer than past. */
  sharedBuffer: boolean;
  elemType: typeof ONNX_FLOAT | typeof ONNX_FLOAT16;
  /** Softmax scale; 1/√headDim (GroupQueryAttention's default) unless given. */
  scale?: number;
}

/** GroupQueryAttention's decode inputs, in the op's order (query, key, value, past_key, past_value, seqlens_k, total_sequence_length). */
export const GQA_INPUTS = ['query', 'key', 'value', 'past_key', 'past_value', 'seqlens_k', 'total_sequence_length'] as const;
export const GQA_OUTPUTS = ['output', 'present_key', 'present_value'] as const;

/**
 * One com.microsoft.GroupQueryAttention node (contrib opset 1) over one new token, batch 1:
 *   query [1, 1, Hq·d], key and value [1, 1, Hkv·d] (BSH), past_key/past_value [1, Hkv, cache, d] (BNSH),
 *   seqlens_k [1] int32 (total − 1), total_sequence_length [] int32 (a scalar);
 *   output [1, 1, Hq·d], present_key/present_value [1, Hkv, cache or cache + 1, d].
 * Attributes: num_heads, kv_num_heads (required), scale (1/√d, the op's default, written out), and
 * do_rotary 0 — the query and key are taken as given, as our kernels take them.
 */
export function gqaDecodeModel(s: GqaDecodeShape): Uint8Array {
  // ORT's shape inference takes present's length from past's when total_sequence_length is not a
  // constant: a symbolic dim when present is one token longer.
  const present = s.sharedBuffer ? s.cacheTokens : 'present_sequence_length';
  const t = s.elemType;
  return encodeModel({
    irVersion: IR_VERSION,
    producer: 'attention-lens bench:peers',
    opsets: [{ domain: '', version: 17 }, { domain: 'com.microsoft', version: 1 }],
    graph: {
      name: 'gqa_decode',
      nodes: [{
        opType: 'GroupQueryAttention', domain: 'com.microsoft', name: 'gqa',
        inputs: [...GQA_INPUTS], outputs: [...GQA_OUTPUTS],
        attributes: [{ name: 'num_heads', int: s.qHeads }, { name: 'kv_num_heads', int: s.kvHeads }, { name: 'scale', float: s.scale ?? 1 / Math.sqrt(s.headDim) }, { name: 'do_rotary', int: 0 }],
      }],
      inputs: [
        { name: 'query', elemType: t, dims: [1, 1, s.qHeads * s.headDim] },
        { name: 'key', elemType: t, dims: [1, 1, s.kvHeads * s.headDim] },
        { name: 'value', elemType: t, dims: [1, 1, s.kvHeads * s.headDim] },
        { name: 'past_key', elemType: t, dims: [1, s.kvHeads, s.cacheTokens, s.headDim] },
        { name: 'past_value', elemType: t, dims: [1, s.kvHeads, s.cacheTokens, s.headDim] },
        { name: 'seqlens_k', elemType: ONNX_INT32, dims: [1] },
        { name: 'total_sequence_length', elemType: ONNX_INT32, dims: [] },
      ],
      outputs: [
        { name: 'output', elemType: t, dims: [1, 1, s.qHeads * s.headDim] },
        { name: 'present_key', elemType: t, dims: [1, s.kvHeads, present, s.headDim] },
        { name: 'present_value', elemType: t, dims: [1, s.kvHeads, present, s.headDim] },
      ],
    },
  });
}
