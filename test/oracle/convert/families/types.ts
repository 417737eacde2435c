import type { GgufMeta, Hparams } from '../base';

export interface Family {
  /** The converter class (conversion/*.py) this mirrors, with its file and line. */
  mirrors: string;
  convert: (hp: Hparams) => GgufMeta;
  /** Keep the real embedding width: the family's graph views Q/K/V by n_embd (fused QKV). */
  keepEmbedding?: boolean;
  /**
   * Tensors the loader marks optional (TENSOR_NOT_REQUIRED) that the family's graph still uses: given a
   * tensor the loader asked for and all it asked for in that load, whether the file must carry it (a
   * RegExp: every asked-for tensor whose name it matches).
   */
  optionalTensors?: RegExp | ((name: string, asked: ReadonlySet<string>) => boolean);
  /**
   * llama.cpp refuses this family's GGUF (its own converter's output) with a message matching this: the
   * fixture is skipped with llama.cpp's words, each run — and fails the day llama.cpp loads it.
   */
  expectedRefusal?: RegExp;
  /**
   * Where llama.cpp and Hugging Face differ for this family (the test names the difference; our `hf`
   * numbers stay checked against transformers' rules).
   */
  differsFromHf?: string;
}

/** Keyed by the config's model_type (its text_config's for multimodal configs). */
export type FamilyTable = Record<string, Family>;
