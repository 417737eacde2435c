// Builds the folder that code-server opens: a copy of examples/ (so the tests never write into the
// repository) plus what the examples lack: a model config the extension must reject, a JSON file that
// is not a model config at all, and a tiny model with its weights (for Measure Quality).
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths (relative to the workspace) that the tests open. */
export const FILES = {
  mha: 'llama-2-7b/config.json',
  gqa: 'llama-3.1-8b/config.json',
  mla: 'deepseek-v3/config.json',
  broken: 'broken/config.json',
  other: 'settings/other.json',
  tiny: 'tiny-gqa/config.json',
};

// A tiny Llama: 8 query heads over 4 KV heads of 16, hidden 64, 2 layers. Its KV heads are exact
// duplicates in pairs (1 = 0, 3 = 2), so mean-pooling them into 2 groups (GQA-2) loses nothing.
const TINY = { hidden: 64, qHeads: 8, kvHeads: 4, headDim: 16, layers: 2, vocab: 100 };
const TINY_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: TINY.hidden,
  intermediate_size: 128,
  max_position_embeddings: 2048,
  head_dim: TINY.headDim,
  num_attention_heads: TINY.qHeads,
  num_hidden_layers: TINY.layers,
  num_key_value_heads: TINY.kvHeads,
  torch_dtype: 'float32',
  vocab_size: TINY.vocab,
};

/** A deterministic value stream in [-1, 1) (no Math.random: the same file every run). */
function values(seed) {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return x / 2 ** 31 - 1;
  };
}

/** model.safetensors by the format's definition: u64 header length, JSON header, F32 data. */
function tinySafetensors() {
  const { hidden, qHeads, kvHeads, headDim, layers, vocab } = TINY;
  const tensors = [];
  const next = values(7);
  const fill = (n) => Float32Array.from({ length: n }, next);
  tensors.push(['model.embed_tokens.weight', [vocab, hidden], fill(vocab * hidden)]);
  for (let l = 0; l < layers; l++) {
    const base = `model.layers.${l}.self_attn.`;
    tensors.push([`${base}q_proj.weight`, [qHeads * headDim, hidden], fill(qHeads * headDim * hidden)]);
    for (const p of ['k', 'v']) {
      const W = fill(kvHeads * headDim * hidden);
      const head = headDim * hidden;
      W.copyWithin(1 * head, 0, head);
      W.copyWithin(3 * head, 2 * head, 3 * head);
      tensors.push([`${base}${p}_proj.weight`, [kvHeads * headDim, hidden], W]);
    }
    tensors.push([`model.layers.${l}.input_layernorm.weight`, [hidden], new Float32Array(hidden).fill(1)]);
  }
  const header = {};
  let offset = 0;
  for (const [name, shape, data] of tensors) {
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, ...tensors.map(([, , d]) => Buffer.from(d.buffer))]);
}

// A Llama-shaped config whose 32 query heads cannot be grouped over 5 KV heads. One key per line,
// as in real configs, so the diagnostic lands on its own `num_key_value_heads` line.
const BROKEN_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  hidden_size: 4096,
  intermediate_size: 11008,
  max_position_embeddings: 4096,
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 5,
  rms_norm_eps: 1e-5,
  torch_dtype: 'bfloat16',
  vocab_size: 32000,
};

/**
 * @param {string} repoRoot the repository (examples/ is copied from it)
 * @param {string} dir where to build the workspace; must not exist yet
 */
export function createWorkspace(repoRoot, dir) {
  cpSync(join(repoRoot, 'examples'), dir, { recursive: true });
  mkdirSync(join(dir, 'broken'), { recursive: true });
  writeFileSync(join(dir, FILES.broken), `${JSON.stringify(BROKEN_CONFIG, null, 2)}\n`);
  mkdirSync(join(dir, 'settings'), { recursive: true });
  writeFileSync(join(dir, FILES.other), `${JSON.stringify({ name: 'x' }, null, 2)}\n`);
  mkdirSync(join(dir, 'tiny-gqa'), { recursive: true });
  writeFileSync(join(dir, FILES.tiny), `${JSON.stringify(TINY_CONFIG, null, 2)}\n`);
  writeFileSync(join(dir, 'tiny-gqa', 'model.safetensors'), tinySafetensors());
  return dir;
}
