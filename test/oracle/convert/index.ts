/**
 * Every fixture family, mapped to the llama.cpp converter class it goes through, or to the reason
 * llama.cpp cannot load it. A fixture in neither table fails the oracle test: a new family is either
 * checked against the runtime or said to be out of its reach.
 */
import { CLASSIC_FAMILIES, CLASSIC_UNSUPPORTED } from './families/classic';
import { HYBRID_FAMILIES, HYBRID_UNSUPPORTED } from './families/hybrid';
import { ISWA_FAMILIES, ISWA_UNSUPPORTED } from './families/iswa';
import { LLAMA_FAMILIES } from './families/llama';
import { MLA_FAMILIES, MLA_UNSUPPORTED } from './families/mla';
import type { Family, FamilyTable } from './families/types';

export const FAMILIES: FamilyTable = {
  ...LLAMA_FAMILIES,
  ...ISWA_FAMILIES,
  ...CLASSIC_FAMILIES,
  ...MLA_FAMILIES,
  ...HYBRID_FAMILIES,
};

/** model_type → why llama.cpp (v0.4.0) cannot load this family; the oracle skips it with the reason. */
export const NOT_IN_LLAMA_CPP: Record<string, string> = {
  ...ISWA_UNSUPPORTED,
  ...CLASSIC_UNSUPPORTED,
  ...MLA_UNSUPPORTED,
  ...HYBRID_UNSUPPORTED,
};

export function familyFor(modelType: string): Family | undefined {
  return Object.prototype.hasOwnProperty.call(FAMILIES, modelType) ? FAMILIES[modelType] : undefined;
}
