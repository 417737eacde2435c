/**
 * Families whose converter class (llama.cpp v0.4.0, 80fb11a, conversion/*.py) this file mirrors.
 */
import type { FamilyTable } from './types';

export const HYBRID_FAMILIES: FamilyTable = {};

/** model_type → why llama.cpp v0.4.0 cannot load it. */
export const HYBRID_UNSUPPORTED: Record<string, string> = {};
