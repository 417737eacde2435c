/**
 * Parsed config → ModelConfig: every field the engine reads, normalized from whichever spelling and
 * nesting the file uses, with where each value came from (a key and its range, a class default, or a
 * derivation). Wrong types and absurd values become issues naming the key and its line.
 */
import { getNodeValue, type Node } from 'jsonc-parser';
import { CONFIG_KEYS, type ConfigField, type KeyInfo } from './configKeys';
import { ConfigError, type ConfigIssue, type SourceRange } from './errors';
import { keyRange, nodeAt, parseJsonSource, type JsonSource } from './jsonSource';
import { classifyKey } from './keyCatalog';
import { classSpellings } from './classDefaults';
import { GENERIC_MODEL_TYPE, modelTypeInfo, TEXT_MODEL_TYPE_OF_WRAPPER, type DefaultValue, type ModelTypeInfo } from './modelTypes';

export type FieldSource =
  | { kind: 'key'; key: string; range: SourceRange }
  | { kind: 'default'; configClass: string }
  | { kind: 'derived'; from: string };

export interface Sourced<T> {
  value: T;
  source: FieldSource;
}

type FieldValue = number | boolean | string | number[] | string[] | Record<string, unknown> | Record<string, unknown>[] | null;

export interface ModelConfig {
  file: string;
  json: JsonSource;
  /** Path of the object holding the text model's keys: [] or ['text_config'] or ['thinker_config','text_config']. */
  textPath: string[];
  modelType: string | undefined;
  /** False when model_type is missing or unknown: only generic keys were read. */
  knownModelType: boolean;
  typeInfo: ModelTypeInfo;
  issues: ConfigIssue[];
  /** A field's value and source; undefined when absent with no default; value null when explicitly None. */
  get<F extends ConfigField>(field: F): Sourced<FieldValue> | undefined;
}

/** Parse and normalize; throws ConfigError on the first error (syntax, types, missing essentials). */
export function loadModelConfig(file: string, text: string): ModelConfig {
  const config = readModelConfig(file, text);
  const error = config.issues.find((i) => i.severity === 'error');
  if (error) throw new ConfigError(file, error);
  return config;
}

/** Parse and normalize, collecting every issue (for diagnostics); never throws. */
export function readModelConfig(file: string, text: string): ModelConfig {
  const json = parseJsonSource(text);
  const issues: ConfigIssue[] = [...json.issues];
  const fields = new Map<ConfigField, Sourced<FieldValue>>();
  const base: Omit<ModelConfig, 'get'> = {
    file, json, textPath: [], modelType: undefined, knownModelType: false, typeInfo: GENERIC_MODEL_TYPE, issues,
  };
  const config: ModelConfig = { ...base, get: (field) => fields.get(field) };
  if (!json.root) return config;
  if (json.root.type !== 'object') {
    issues.push({
      severity: 'error',
      code: 'not-object',
      message: `top-level value is ${json.root.type === 'array' ? 'an array' : `a ${json.root.type}`}, not an object`,
      range: json.rangeOf(json.root.offset, Math.min(json.root.length, 1)),
      hint: 'A model config is a JSON object such as {"model_type": "llama", "num_hidden_layers": 32, ...}.',
    });
    return config;
  }

  config.textPath = findTextPath(json);
  const textModelType = readString(json, [...config.textPath, 'model_type']);
  const topModelType = readString(json, ['model_type']);
  config.modelType = textModelType ?? (topModelType !== undefined ? TEXT_MODEL_TYPE_OF_WRAPPER[topModelType] ?? topModelType : undefined);
  const info = modelTypeInfo(config.modelType);
  config.knownModelType = info !== undefined;
  config.typeInfo = info ?? GENERIC_MODEL_TYPE;

  for (const [field, keyInfo] of Object.entries(CONFIG_KEYS) as [ConfigField, KeyInfo][]) {
    // The class's attribute_map adds spellings (model_max_length for Kimi-Linear's context).
    const extra = classSpellings(config.modelType, keyInfo.spellings);
    const found = readField(json, config.textPath, field, extra.length ? { ...keyInfo, spellings: [...keyInfo.spellings, ...extra] } : keyInfo, issues);
    if (found) fields.set(field, found);
    else if (field in config.typeInfo.defaults) {
      const value = config.typeInfo.defaults[field] as DefaultValue;
      // The only object a DefaultValue can be is its readonly number list (Array.isArray would type it any[]).
      fields.set(field, { value: typeof value === 'object' && value !== null ? [...value] : value, source: { kind: 'default', configClass: config.typeInfo.configClass } });
    }
  }
  issues.push(...unmodelledKeys(json, config.textPath));
  return config;
}

/** Codes of the warnings that say the KV figures themselves may be wrong (not only a choice to check). */
export const KV_MAY_BE_WRONG: ReadonlySet<string> = new Set(['unmodelled-key', 'unknown-model-type', 'no-model-type']);

/**
 * Unknown keys whose names say they may shape the attention or the cache, in the text config and
 * (for a multimodal wrapper) at the top level: one warning each, on the key.
 */
function unmodelledKeys(json: JsonSource, textPath: string[]): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  const scopes = textPath.length > 0 ? [textPath, []] : [[]];
  for (const scope of scopes) {
    const object = scope.length ? nodeAt(json, scope) : json.root;
    for (const property of object?.type === 'object' ? object.children ?? [] : []) {
      const [keyNode, valueNode] = property.children ?? [];
      if (keyNode?.type !== 'string' || !valueNode) continue;
      const key = keyNode.value as string;
      const verdict = classifyKey(key);
      if (verdict.kind !== 'unknown' || !verdict.structural) continue;
      const path = [...scope, key].join('.');
      out.push({
        severity: 'warning',
        code: 'unmodelled-key',
        key: path,
        range: json.rangeOf(keyNode.offset, keyNode.length),
        message: `${path} is a key Attention Lens does not model, and its name says it may shape the attention or the cache: the KV figures may be wrong`,
        hint: `Check the figures against the model card or a runtime's log. If ${key} changes which layers attend or what they keep, the engine needs to learn it.`,
      });
    }
  }
  return out;
}

/** The object holding the text model's keys. Multimodal wrappers nest it. */
function findTextPath(json: JsonSource): string[] {
  for (const path of [['thinker_config', 'text_config'], ['text_config'], ['llm_config'], ['language_config']]) {
    const node = nodeAt(json, path);
    if (node?.type === 'object') return path;
  }
  return [];
}

function readString(json: JsonSource, path: string[]): string | undefined {
  const node = nodeAt(json, path);
  return node?.type === 'string' ? (node.value as string) : undefined;
}

/**
 * The first spelling present, looked up in the text config, then at the top level (wrappers keep
 * dtype and tie_word_embeddings there). Validates the type; records conflicting spellings.
 */
function readField(json: JsonSource, textPath: string[], field: ConfigField, info: KeyInfo, issues: ConfigIssue[]): Sourced<FieldValue> | undefined {
  const scopes = textPath.length > 0 ? [textPath, [] as string[]] : [[] as string[]];
  let chosen: { node: Node; key: string; value: FieldValue } | undefined;
  for (const scope of scopes) {
    for (const spelling of info.spellings) {
      const path = [...scope, ...spelling.split('.')];
      const node = nodeAt(json, path);
      if (!node) continue;
      const key = path.join('.');
      const value = checkType(json, node, key, field, info, issues);
      if (value === undefined) continue; // invalid: issue recorded
      if (!chosen) chosen = { node, key, value };
      else if (value !== null && chosen.value !== null && JSON.stringify(value) !== JSON.stringify(chosen.value) && scope === scopes[0]) {
        issues.push({
          severity: 'warning',
          code: 'conflicting-spellings',
          key,
          message: `${key} = ${JSON.stringify(value)} disagrees with ${chosen.key} = ${JSON.stringify(chosen.value)}; ${chosen.key} is used`,
          range: keyRange(json, node),
          hint: 'Remove one of the two spellings so every tool reads the same value.',
        });
      }
    }
    if (chosen) break;
  }
  if (!chosen) return undefined;
  return { value: chosen.value, source: { kind: 'key', key: chosen.key, range: keyRange(json, chosen.node) } };
}

/** The value if it has the key's type; null for JSON null (explicit None); undefined (+ an issue) otherwise. */
function checkType(json: JsonSource, node: Node, key: string, field: ConfigField, info: KeyInfo, issues: ConfigIssue[]): FieldValue | undefined {
  if (node.type === 'null') return null;
  const range = keyRange(json, node);
  const raw = json.text.slice(node.offset, node.offset + node.length);
  const fail = (message: string, hint: string): undefined => {
    issues.push({ severity: 'error', code: 'bad-value', key, message, range, hint });
    return undefined;
  };
  const shown = raw.length > 40 ? `${raw.slice(0, 37)}...` : raw;
  switch (info.type) {
    case 'posInt':
    case 'nonNegInt': {
      const min = info.type === 'posInt' ? 1 : 0;
      if (node.type === 'string' && /^\s*-?\d+\s*$/.test(node.value as string)) {
        return fail(`expected an integer, got the string ${shown}`, `Write ${String(node.value).trim()} without quotes.`);
      }
      if (node.type !== 'number') return fail(`expected an integer, got ${describe(node, shown)}`, `Set ${key} to a whole number ≥ ${min}.`);
      const value = node.value as number;
      // Python's json reads NaN and Infinity (so the file loads in transformers), but no count is either.
      if (!Number.isFinite(value)) return fail(`${shown} is not a count: ${key} must be a whole number`, `Set ${key} to the model's value: ${describeField(field)}.`);
      if (info.max !== undefined && value > info.max) {
        return fail(`${shown} is beyond any real model (limit ${info.max?.toLocaleString('en-US') ?? 'finite'})`, `Check ${key}: ${describeField(field)}.`);
      }
      if (!Number.isInteger(value) || /[.eE]/.test(raw)) {
        return fail(`expected an integer, got ${shown}`, `${key} counts whole units: write a whole number such as ${Math.max(min, Math.round(value))}.`);
      }
      if (value < min) return fail(`must be ${min === 1 ? 'positive' : '≥ 0'}, got ${shown}`, `Set ${key} to a whole number ≥ ${min}.`);
      return value;
    }
    case 'boolOrString':
      if (node.type !== 'boolean' && node.type !== 'string') return fail(`expected true, false or a mode string, got ${describe(node, shown)}`, `Set ${key} to true, false or a mode such as "all".`);
      return node.value as boolean | string;
    case 'posIntOrPattern':
      if (node.type === 'string') {
        if (!/^[LG]+$/.test(node.value as string)) return fail(`expected a whole number or a pattern of L and G, got ${shown}`, `Set ${key} to N (every N-th layer global) or a pattern like "LLLG".`);
        return node.value as string;
      }
      return checkType(json, node, key, field, { ...info, type: 'posInt' }, issues);
    case 'posIntOrAuto':
      if (node.type === 'string' && node.value === 'auto') return null; // derived by the class
      return checkType(json, node, key, field, { ...info, type: 'posInt' }, issues);
    case 'objectList': {
      const value = getNodeValue(node) as unknown;
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
        return fail(`expected a list of objects (one per layer), got ${describe(node, shown)}`, `Set ${key} to a list like [{"attention": {...}, "ffn": {...}}, ...].`);
      }
      return value as Record<string, unknown>[];
    }
    case 'posIntOrList': {
      if (node.type !== 'array') return checkType(json, node, key, field, { ...info, type: 'posInt' }, issues);
      const value = getNodeValue(node) as unknown;
      if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && (info.max === undefined || v <= info.max))) {
        return fail(`expected a whole number or a list of them (one per layer), got ${describe(node, shown)}`, `Set ${key} to a whole number, or a list like [8192, 8192, 16384].`);
      }
      return value as number[];
    }
    case 'number': {
      if (node.type !== 'number' || !Number.isFinite(node.value as number) || (node.value as number) <= 0) {
        return fail(`expected a positive number, got ${describe(node, shown)}`, `Set ${key} to a positive number.`);
      }
      if (info.max !== undefined && (node.value as number) > info.max) return fail(`${shown} is beyond any real model (limit ${info.max})`, `Check ${key}.`);
      return node.value as number;
    }
    case 'bool':
      if (node.type !== 'boolean') return fail(`expected true or false, got ${describe(node, shown)}`, `Set ${key} to true or false (no quotes).`);
      return node.value as boolean;
    case 'string':
      if (node.type !== 'string') return fail(`expected a string, got ${describe(node, shown)}`, `Set ${key} to a quoted string.`);
      return node.value as string;
    case 'object':
      if (node.type !== 'object') return fail(`expected an object, got ${describe(node, shown)}`, `Set ${key} to a JSON object or remove it.`);
      return getNodeValue(node) as Record<string, unknown>;
    case 'intList': {
      const value = getNodeValue(node) as unknown;
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
        return fail(`expected a list of non-negative integers, got ${describe(node, shown)}`, `Set ${key} to a list like [0, 1, 1, 0].`);
      }
      return value as number[];
    }
    case 'stringList': {
      const value = getNodeValue(node) as unknown;
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        return fail(`expected a list of strings, got ${describe(node, shown)}`, `Set ${key} to a list like ["sliding_attention", "full_attention"].`);
      }
      return value;
    }
  }
}

function describe(node: Node, shown: string): string {
  switch (node.type) {
    case 'string': return `the string ${shown}`;
    case 'array': return 'a list';
    case 'object': return 'an object';
    default: return shown;
  }
}

function describeField(field: ConfigField): string {
  const meaning = CONFIG_KEYS[field].meaning;
  return meaning.charAt(0).toLowerCase() + meaning.slice(1).replace(/\.$/, '');
}

/** A per-layer value: the list's entry for `layer` when the key is a list, else the one number. */
export function numAt(config: ModelConfig, field: ConfigField, layer: number): number | undefined {
  const v = config.get(field)?.value;
  if (Array.isArray(v)) {
    const x = v[Math.min(layer, v.length - 1)];
    return typeof x === 'number' ? x : undefined;
  }
  return typeof v === 'number' ? v : undefined;
}

/** Typed accessors over a ModelConfig (undefined for absent or None). */
export function num(config: ModelConfig, field: ConfigField): number | undefined {
  const v = config.get(field)?.value;
  return typeof v === 'number' ? v : undefined;
}
export function bool(config: ModelConfig, field: ConfigField): boolean | undefined {
  const v = config.get(field)?.value;
  return typeof v === 'boolean' ? v : undefined;
}
export function str(config: ModelConfig, field: ConfigField): string | undefined {
  const v = config.get(field)?.value;
  return typeof v === 'string' ? v : undefined;
}
export function list<T extends number | string>(config: ModelConfig, field: ConfigField): T[] | undefined {
  const v = config.get(field)?.value;
  return Array.isArray(v) ? (v as T[]) : undefined;
}

/** Human text for where a field came from, e.g. `num_key_value_heads (line 12)` or `Qwen3Config default`. */
export function describeSource(source: FieldSource | undefined): string {
  if (!source) return 'absent';
  switch (source.kind) {
    case 'key': return `${source.key} (line ${source.range.start.line + 1})`;
    case 'default': return `${source.configClass} default`;
    case 'derived': return source.from;
  }
}
