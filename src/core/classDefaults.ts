/**
 * The defaults a config class of transformers gives the keys the engine reads, from the table generated
 * out of transformers' own configuration files (scripts/gen-transformers-defaults.mjs →
 * generated/transformersDefaults.ts): a config.json omits a key whose class default applies, so the
 * file alone is not the model. Each key is looked up under every spelling of its field (and through the
 * class's attribute_map); a default that is not a literal is used only when it is plain integer
 * arithmetic (MistralConfig's `4096 * 32`), never guessed.
 */
import { CONFIG_KEYS, type ConfigField, type KeyInfo } from './configKeys';
import type { TransformersDefault } from './generated/transformersDefaults';
import { transformersData } from './transformersData';

export type ClassDefault = number | boolean | string | null | readonly number[];

export interface ClassDefaults {
  configClass: string;
  /** Where the class is defined, e.g. `src/transformers/models/llama/configuration_llama.py @ v5.18.0`. */
  source: string;
  defaults: Partial<Record<ConfigField, ClassDefault>>;
}

const cache = new Map<string, ClassDefaults | undefined>();

/**
 * Spellings a class adds through its attribute_map: `config.json` may name the attribute the alias
 * points to (Kimi-Linear's max_position_embeddings → model_max_length).
 */
export function classSpellings(modelType: string | undefined, spellings: readonly string[]): string[] {
  const map = modelType ? transformersData().TRANSFORMERS_CONFIGS[modelType]?.attributeMap : undefined;
  if (!map) return [];
  return spellings.map((s) => map[s]).filter((s): s is string => s !== undefined && !spellings.includes(s));
}

export function transformersClassDefaults(modelType: string): ClassDefaults | undefined {
  if (cache.has(modelType)) return cache.get(modelType);
  const info = transformersData().TRANSFORMERS_CONFIGS[modelType];
  let out: ClassDefaults | undefined;
  if (info) {
    // attribute_map: alias (as config.json may spell it) → the attribute the class declares.
    const declared = (key: string): string => info.attributeMap[key] ?? key;
    const defaults: Partial<Record<ConfigField, ClassDefault>> = {};
    for (const [field, key] of Object.entries(CONFIG_KEYS) as [ConfigField, KeyInfo][]) {
      for (const spelling of key.spellings) {
        if (spelling.includes('.')) continue;
        const names = [...new Set([declared(spelling), spelling])];
        const name = names.find((n) => n in info.defaults || n in info.kwargDefaults);
        const raw = name === undefined ? undefined : name in info.defaults ? info.defaults[name] : info.kwargDefaults[name];
        const value = raw === undefined ? undefined : literal(raw);
        if (value !== undefined) {
          defaults[field] = value;
          break;
        }
      }
    }
    out = { configClass: info.configClass, source: `${info.file} @ ${info.commit}`, defaults };
  }
  cache.set(modelType, out);
  return out;
}

/** A literal default as the engine stores it; plain integer arithmetic evaluated; anything else undefined. */
function literal(d: TransformersDefault): ClassDefault | undefined {
  if (d === null || typeof d === 'number' || typeof d === 'boolean' || typeof d === 'string') return d;
  if (Array.isArray(d)) return d.every((x) => typeof x === 'number') ? d : undefined;
  const expr = (d as { expr: string }).expr.replace(/_/g, '');
  if (!/^\s*\d+(\s*[*+]\s*\d+)*\s*$/.test(expr)) return undefined;
  return expr.split('+').reduce((sum, term) => sum + term.split('*').reduce((p, f) => p * Number(f), 1), 0);
}
