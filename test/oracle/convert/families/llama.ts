/**
 * Llama and the families llama.cpp's converter writes like it. Each entry names the class of
 * convert_hf_to_gguf.py's conversion/ package it mirrors (llama.cpp v0.4.0, 80fb11a).
 */
import { llamaLike, textModel, type Hparams } from '../base';
import type { FamilyTable } from './types';

/** Qwen2MoeModel.set_gguf_parameters (conversion/qwen.py:81): the expert widths. */
function qwenMoe(arch: string, hp: Hparams) {
  const m = textModel(arch, hp);
  if (typeof hp.moe_intermediate_size === 'number') m.uint('expert_feed_forward_length', hp.moe_intermediate_size);
  if (typeof hp.shared_expert_intermediate_size === 'number') m.uint('expert_shared_feed_forward_length', hp.shared_expert_intermediate_size);
  return m;
}

export const LLAMA_FAMILIES: FamilyTable = {
  llama: { mirrors: 'LlamaModel (conversion/llama.py:38, set_gguf_parameters :164)', convert: (hp) => llamaLike('llama', hp) },
  // MistralForCausalLM and MixtralForCausalLM are registered to LlamaModel: sliding_window is not written.
  mistral: {
    mirrors: 'LlamaModel (MistralForCausalLM, conversion/llama.py:24)',
    convert: (hp) => llamaLike('llama', hp),
    differsFromHf: "llama.cpp keeps every token: the converter writes no sliding_window for Mistral (LlamaModel), while transformers' cache for Mistral-7B-v0.1 holds the last 4096",
  },
  mixtral: { mirrors: 'LlamaModel (MixtralForCausalLM, conversion/llama.py:25)', convert: (hp) => llamaLike('llama', hp) },
  // Qwen2's loader shapes wq as {n_embd, n_embd} (src/models/qwen2.cpp): the embedding cannot shrink.
  qwen2: { mirrors: 'Qwen2Model (conversion/qwen.py:57)', convert: (hp) => textModel('qwen2', hp), keepEmbedding: true },
  qwen3: { mirrors: 'Qwen3Model (conversion/qwen.py:161)', convert: (hp) => textModel('qwen3', hp) },
  qwen2_moe: { mirrors: 'Qwen2MoeModel (conversion/qwen.py:78)', convert: (hp) => qwenMoe('qwen2moe', hp) },
  qwen3_moe: { mirrors: 'Qwen3MoeModel (conversion/qwen.py:260)', convert: (hp) => qwenMoe('qwen3moe', hp) },
};
