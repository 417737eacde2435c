/**
 * Shrinks the widths that do not decide the cache, so a model of any size loads in a fraction of a
 * second: the embedding to 64, every feed-forward width to 32 (0 stays 0: Nemotron-H marks its attention
 * layers with it), the Q LoRA rank to 32, the vocabulary to 260 byte-fallback tokens. Everything that
 * decides the cache stays as converted: layer count, head counts per layer, key/value lengths, windows
 * and their pattern, MLA ranks, SSM sizes, KV sharing.
 *
 * One thing llama.cpp derives from the embedding width must be written out first: the head size, which
 * it takes as n_embd / n_head when the file has no key_length (src/llama-model.cpp:1337).
 */
import { arr, str, u32, type GgufValue } from '../../helpers/ggufWriter';
import type { GgufMeta } from './base';

export const TINY_EMBEDDING = 64;
export const TINY_FFN = 32;
export const TINY_Q_LORA_RANK = 32;

const FFN_KEYS = [
  'feed_forward_length', 'expert_feed_forward_length', 'expert_shared_feed_forward_length',
  'expert_chunk_feed_forward_length', 'leading_dense_feed_forward_length',
];

export function shrinkWidths(m: GgufMeta, options: { keepEmbedding?: boolean } = {}): void {
  const embd = scalar(m.get('embedding_length'));
  const heads = m.get('attention.head_count');
  const head0 = heads?.type === 'ARRAY' ? Number(heads.value[0]) : scalar(heads);
  if (embd !== undefined && head0 !== undefined && head0 > 0) {
    if (!m.has('attention.key_length')) m.uint('attention.key_length', Math.floor(embd / head0));
    if (!m.has('attention.value_length')) m.uint('attention.value_length', Math.floor(embd / head0));
  }
  if (embd !== undefined && !options.keepEmbedding) m.uint('embedding_length', TINY_EMBEDDING);
  for (const key of FFN_KEYS) {
    const v = m.get(key);
    if (!v) continue;
    if (v.type === 'ARRAY') m.set(key, arr(v.itemType, v.value.map((x) => (Number(x) === 0 ? 0 : TINY_FFN))));
    else if (Number(v.value) !== 0) m.uint(key, TINY_FFN);
  }
  if (m.has('attention.q_lora_rank') && Number(scalar(m.get('attention.q_lora_rank'))) > 0) m.uint('attention.q_lora_rank', TINY_Q_LORA_RANK);
  m.delete('vocab_size');
  for (const [key, value] of Object.entries(byteFallbackVocabulary())) m.set(key, value);
}

function scalar(v: GgufValue | undefined): number | undefined {
  return v && v.type !== 'ARRAY' ? Number(v.value) : undefined;
}

/** A SentencePiece ("llama") vocabulary of <unk>, <s>, </s>, the 256 byte tokens and "▁". */
export function byteFallbackVocabulary(): Record<string, GgufValue> {
  const tokens = ['<unk>', '<s>', '</s>'];
  for (let b = 0; b < 256; b++) tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  tokens.push('\u2581');
  // llama_token_type: 1 normal, 2 unknown, 3 control, 6 byte (include/llama.h).
  const types = tokens.map((_, i) => (i === 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1));
  return {
    'tokenizer.ggml.model': str('llama'),
    'tokenizer.ggml.tokens': arr('STRING', tokens),
    'tokenizer.ggml.scores': arr('FLOAT32', tokens.map(() => 0)),
    'tokenizer.ggml.token_type': arr('INT32', types),
    'tokenizer.ggml.bos_token_id': u32(1),
    'tokenizer.ggml.eos_token_id': u32(2),
    'tokenizer.ggml.unknown_token_id': u32(0),
  };
}
