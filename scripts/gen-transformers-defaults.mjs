#!/usr/bin/env node
/**
 * Generates src/core/generated/transformersDefaults.ts from saved copies of the `transformers` config
 * sources: each config class's model_type, attribute_map, base_config_key / sub_configs and the defaults
 * of its keyword arguments, plus the keys PreTrainedConfig itself accepts.
 *
 *   node scripts/gen-transformers-defaults.mjs [ROOT] [--out FILE] [--check]
 *
 * ROOT (default /work/.cache/transformers) holds the files unchanged, one folder per commit or release tag
 * (`v5.18.0`: the files of that released package, e.g. unpacked from its wheel):
 *   ROOT/<commit>/src/transformers/models/<name>/configuration_<name>.py   (modular_<name>.py only where
 *   the folder has no configuration_*.py)
 *   ROOT/<commit>/src/transformers/configuration_utils.py
 * A path may be present under one commit only; the commit a file sits under is the provenance written out.
 *
 * What is read, per class (`class XConfig(...)`, at any indentation):
 *   - `model_type = "..."`, `base_config_key = "..."`, `attribute_map = {...}`, `sub_configs = {...}`;
 *   - the defaults of `def __init__(self, ..., key=default, ...)` (transformers <= 4.x style), and the
 *     annotated class fields `key: type = default` (the dataclass style of transformers 5, whose __init__
 *     is generated from those fields);
 *   - literal defaults pulled from **kwargs in __init__ / __post_init__: `kwargs.pop("key", default)`,
 *     `kwargs.get(...)`, `kwargs.setdefault(...)` (kept apart, as kwargDefaults);
 *   - fields and defaults of a base class defined in another parsed file (dataclass inheritance, or an
 *     __init__ that forwards **kwargs to its parent's), marked by `inheritsFrom`.
 * A default that is a Python literal (int, float, string, True/False/None, a flat list/tuple of those,
 * with an optional sign) is written as its value; anything else (`4096 * 32`, `field(...)`, a name) is
 * written as { expr: "<source>" } and never evaluated.
 *
 * Node 20, no dependencies. Output is deterministic (no dates; sorted model types).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');
const DEFAULT_ROOT = '/work/.cache/transformers';
const DEFAULT_OUT = path.join(REPO, 'src/core/generated/transformersDefaults.ts');
const BASE_CLASSES = new Set(['PreTrainedConfig', 'PretrainedConfig']);

// ---------------------------------------------------------------------------------------------------
// Python tokenizer (enough of it for class bodies): logical lines of tokens, comments dropped.
// ---------------------------------------------------------------------------------------------------

const OPS = ['**=', '//=', '>>=', '<<=', '...', '->', ':=', '==', '!=', '<=', '>=', '<<', '>>', '**', '//',
  '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@='];
const NUMBER_RE = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/;
const NAME_RE = /^[A-Za-z_\u00c0-\uffff][A-Za-z0-9_\u00c0-\uffff]*/;
const STRING_START_RE = /^([rRbBuUfF]{0,2})('''|"""|'|")/;

/** @returns {{ lines: {indent:number, line:number, tokens:any[]}[], comments: [number, number][] }} */
function tokenize(src) {
  const lines = [];
  const comments = [];
  let tokens = [];
  let depth = 0;
  let atLineStart = true;
  let indent = 0;
  let lineNo = 1;
  let logicalStart = 1;
  let i = 0;
  const n = src.length;
  const endLogical = () => {
    if (tokens.length > 0) lines.push({ indent, line: logicalStart, tokens });
    tokens = [];
    atLineStart = true;
  };
  while (i < n) {
    if (atLineStart && depth === 0) {
      // Measure indentation of a new logical line; skip blank and comment-only lines.
      let j = i;
      let width = 0;
      while (j < n && (src[j] === ' ' || src[j] === '\t' || src[j] === '\f')) {
        width = src[j] === '\t' ? (Math.floor(width / 8) + 1) * 8 : width + 1;
        j++;
      }
      if (j >= n) break;
      if (src[j] === '\n' || src[j] === '\r') {
        i = src[j] === '\r' && src[j + 1] === '\n' ? j + 2 : j + 1;
        lineNo++;
        continue;
      }
      if (src[j] === '#') {
        const e = src.indexOf('\n', j);
        comments.push([j, e < 0 ? n : e]);
        i = e < 0 ? n : e + 1;
        lineNo++;
        continue;
      }
      indent = width;
      logicalStart = lineNo;
      atLineStart = false;
      i = j;
      continue;
    }
    const c = src[i];
    if (c === '\n' || c === '\r') {
      i = c === '\r' && src[i + 1] === '\n' ? i + 2 : i + 1;
      lineNo++;
      if (depth === 0) endLogical();
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\f') { i++; continue; }
    if (c === '\\' && (src[i + 1] === '\n' || src[i + 1] === '\r')) {
      i += src[i + 1] === '\r' && src[i + 2] === '\n' ? 3 : 2;
      lineNo++;
      continue;
    }
    if (c === '#') {
      const e = src.indexOf('\n', i);
      comments.push([i, e < 0 ? n : e]);
      i = e < 0 ? n : e;
      continue;
    }
    const sm = STRING_START_RE.exec(src.slice(i, i + 5));
    if (sm && (sm[1] === '' || /^[rRbBuUfF]+$/.test(sm[1]))) {
      const prefix = sm[1];
      const quote = sm[2];
      const start = i;
      let j = i + prefix.length + quote.length;
      const raw = /[rR]/.test(prefix);
      for (;;) {
        if (j >= n) throw new Error(`unterminated string at line ${lineNo}`);
        const ch = src[j];
        if (ch === '\\') { if (src[j + 1] === '\n') lineNo++; j += 2; continue; }
        if (ch === '\n') {
          if (quote.length === 1) throw new Error(`newline in string at line ${lineNo}`);
          lineNo++;
        }
        if (src.startsWith(quote, j)) { j += quote.length; break; }
        j++;
      }
      const body = src.slice(start + prefix.length + quote.length, j - quote.length);
      tokens.push({ type: 'string', start, end: j, prefix: prefix.toLowerCase(), value: raw ? body : unescape(body) });
      i = j;
      continue;
    }
    const nm = NUMBER_RE.exec(src.slice(i, i + 64));
    if (nm && /[\d.]/.test(c) && !(c === '.' && !/\d/.test(src[i + 1] ?? ''))) {
      tokens.push({ type: 'number', start: i, end: i + nm[0].length, value: nm[0] });
      i += nm[0].length;
      continue;
    }
    const am = NAME_RE.exec(src.slice(i, i + 200));
    if (am) {
      tokens.push({ type: 'name', start: i, end: i + am[0].length, value: am[0] });
      i += am[0].length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i)) ?? c;
    if (op === '(' || op === '[' || op === '{') depth++;
    if (op === ')' || op === ']' || op === '}') depth = Math.max(0, depth - 1);
    tokens.push({ type: 'op', start: i, end: i + op.length, value: op });
    i += op.length;
  }
  endLogical();
  return { lines, comments };
}

function unescape(s) {
  return s.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|\n|.)/gs, (_m, e) => {
    switch (e[0]) {
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
        return String.fromCodePoint(parseInt(e, 8));
      case 'x': case 'u': case 'U': return String.fromCodePoint(parseInt(e.slice(1), 16));
      case '\n': return '';
      case 'a': return '\x07';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'v': return '\v';
      default: return e; // \\ \' \" and unknown escapes (Python keeps the backslash for unknown ones)
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Expressions: literal evaluation and normalized source text.
// ---------------------------------------------------------------------------------------------------

function exprText(src, comments, toks) {
  if (toks.length === 0) return '';
  const from = toks[0].start;
  const to = toks[toks.length - 1].end;
  let text = '';
  let k = from;
  for (const [a, b] of comments) {
    if (b <= from || a >= to) continue;
    text += src.slice(k, a);
    k = b;
  }
  text += src.slice(k, to);
  return text
    .replace(/\s+/g, ' ')
    .replace(/([([{]) /g, '$1')
    .replace(/ ([)\]},])/g, '$1')
    .replace(/,([)\]}])/g, '$1')
    .trim();
}

function parseNumber(text) {
  const t = text.replace(/_/g, '');
  if (/[jJ]$/.test(t)) return undefined;
  if (/^0[xX]/.test(t)) return parseInt(t.slice(2), 16);
  if (/^0[oO]/.test(t)) return parseInt(t.slice(2), 8);
  if (/^0[bB]/.test(t)) return parseInt(t.slice(2), 2);
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/** A scalar literal (number with sign, string(s), True/False/None), or undefined. */
function scalarLiteral(toks) {
  if (toks.length === 0) return undefined;
  if (toks.every((t) => t.type === 'string')) {
    if (toks.some((t) => /[fb]/.test(t.prefix))) return undefined;
    return { value: toks.map((t) => t.value).join('') };
  }
  let sign = 1;
  let k = 0;
  while (k < toks.length && toks[k].type === 'op' && (toks[k].value === '-' || toks[k].value === '+')) {
    if (toks[k].value === '-') sign = -sign;
    k++;
  }
  if (toks.length - k !== 1) return undefined;
  const t = toks[k];
  if (t.type === 'number') {
    const v = parseNumber(t.value);
    return v === undefined ? undefined : { value: sign * v === 0 ? 0 : sign * v };
  }
  if (k > 0) return undefined;
  if (t.type === 'name') {
    if (t.value === 'True') return { value: true };
    if (t.value === 'False') return { value: false };
    if (t.value === 'None') return { value: null };
  }
  return undefined;
}

/** Split tokens on top-level commas. */
function splitTop(toks, sep = ',') {
  const parts = [];
  let cur = [];
  let d = 0;
  for (const t of toks) {
    if (t.type === 'op' && '([{'.includes(t.value)) d++;
    if (t.type === 'op' && ')]}'.includes(t.value)) d--;
    if (d === 0 && t.type === 'op' && t.value === sep) { parts.push(cur); cur = []; continue; }
    cur.push(t);
  }
  if (cur.length > 0 || parts.length > 0) parts.push(cur);
  return parts;
}

/** Index of the bracket closing the one at `open`, or -1. */
function matching(toks, open) {
  let d = 0;
  for (let k = open; k < toks.length; k++) {
    const t = toks[k];
    if (t.type !== 'op') continue;
    if ('([{'.includes(t.value)) d++;
    if (')]}'.includes(t.value)) { d--; if (d === 0) return k; }
  }
  return -1;
}

/** Python literal → JSON value, or { expr } for anything else. */
function literalOrExpr(src, comments, toks) {
  const s = scalarLiteral(toks);
  if (s) return s.value;
  const first = toks[0];
  const last = toks[toks.length - 1];
  if (first && last && first.type === 'op' && (first.value === '[' || first.value === '(') && matching(toks, 0) === toks.length - 1) {
    const inner = toks.slice(1, -1);
    const parts = splitTop(inner);
    const isTuple = first.value === '(';
    // `(x)` is a parenthesized scalar, `(x,)` a one-element tuple, `()` an empty tuple.
    if (isTuple && parts.length === 1 && inner.length > 0) {
      const v = scalarLiteral(inner);
      if (v) return v.value;
    } else {
      const elems = parts.length > 0 && parts[parts.length - 1].length === 0 ? parts.slice(0, -1) : parts;
      const values = [];
      let ok = true;
      for (const e of elems) {
        const v = scalarLiteral(e);
        if (!v) { ok = false; break; }
        values.push(v.value);
      }
      if (ok) return values;
    }
  }
  return { expr: exprText(src, comments, toks) };
}

function dictLiteral(toks) {
  if (toks.length < 2 || toks[0].value !== '{' || matching(toks, 0) !== toks.length - 1) return undefined;
  const out = {};
  for (const item of splitTop(toks.slice(1, -1))) {
    if (item.length === 0) continue;
    const kv = splitTop(item, ':');
    if (kv.length !== 2) return undefined;
    const k = scalarLiteral(kv[0]);
    if (!k || typeof k.value !== 'string') return undefined;
    out[k.value] = kv[1];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Class extraction
// ---------------------------------------------------------------------------------------------------

function parseParams(src, comments, toks) {
  // toks: the tokens between the parentheses of `def __init__( ... )`.
  const out = [];
  for (const p of splitTop(toks)) {
    if (p.length === 0) continue;
    if (p[0].type === 'op' && (p[0].value === '*' || p[0].value === '**' || p[0].value === '/')) continue;
    if (p[0].type !== 'name') continue;
    const name = p[0].value;
    if (name === 'self' || name === 'cls') continue;
    let eq = -1;
    let d = 0;
    for (let k = 1; k < p.length; k++) {
      const t = p[k];
      if (t.type === 'op' && '([{'.includes(t.value)) d++;
      if (t.type === 'op' && ')]}'.includes(t.value)) d--;
      if (d === 0 && t.type === 'op' && t.value === '=') { eq = k; break; }
    }
    out.push({ name, hasDefault: eq >= 0, value: eq >= 0 ? literalOrExpr(src, comments, p.slice(eq + 1)) : undefined });
  }
  return out;
}

/** `kwargs.pop("k", default)` / `.get` / `.setdefault` calls inside a function body. */
function kwargCalls(src, comments, bodyLines) {
  const found = [];
  for (const line of bodyLines) {
    const t = line.tokens;
    for (let k = 0; k + 4 < t.length; k++) {
      if (!(t[k].type === 'name' && t[k].value === 'kwargs' && t[k + 1].value === '.' && t[k + 2].type === 'name'
        && ['pop', 'get', 'setdefault'].includes(t[k + 2].value) && t[k + 3].value === '(')) continue;
      if (k > 0 && t[k - 1].value === '.') continue; // self.kwargs... is something else
      const close = matching(t, k + 3);
      if (close < 0) continue;
      const args = splitTop(t.slice(k + 4, close));
      const key = args[0] && scalarLiteral(args[0]);
      if (!key || typeof key.value !== 'string') continue;
      found.push({ key: key.value, method: t[k + 2].value, hasDefault: args.length >= 2 && args[1].length > 0,
        value: args.length >= 2 && args[1].length > 0 ? literalOrExpr(src, comments, args[1]) : undefined });
    }
  }
  return found;
}

function parseFile(src, relPath) {
  const { lines, comments } = tokenize(src);
  const classes = [];
  for (let li = 0; li < lines.length; li++) {
    const L = lines[li];
    const t = L.tokens;
    if (!(t[0]?.type === 'name' && t[0].value === 'class' && t[1]?.type === 'name')) continue;
    const name = t[1].value;
    const bases = [];
    if (t[2]?.value === '(') {
      const close = matching(t, 2);
      for (const b of splitTop(t.slice(3, close))) {
        if (b.length === 0 || (b.length >= 2 && b[1].value === '=')) continue; // metaclass=...
        bases.push(exprText(src, comments, b));
      }
    }
    // Body: the following logical lines indented deeper than the class line.
    const body = [];
    let lj = li + 1;
    while (lj < lines.length && lines[lj].indent > L.indent) body.push(lines[lj++]);
    if (body.length === 0) continue;
    const bodyIndent = body[0].indent;
    const cls = {
      className: name, bases, file: relPath, line: L.line,
      modelType: undefined, baseConfigKey: undefined, attributeMap: undefined, subConfigs: undefined,
      fields: [], initParams: undefined, kwargDefaults: [], classVars: new Set(), selfAssigned: [], kwargKeys: [],
      notes: [],
    };
    for (let bi = 0; bi < body.length; bi++) {
      const M = body[bi];
      if (M.indent !== bodyIndent) continue;
      const m = M.tokens;
      // Function bodies: the deeper lines after a def.
      const fnBody = [];
      for (let bj = bi + 1; bj < body.length && body[bj].indent > bodyIndent; bj++) fnBody.push(body[bj]);
      if (m[0]?.value === 'def' && m[1]?.type === 'name') {
        const fname = m[1].value;
        if (fname === '__init__' || fname === '__post_init__') {
          if (fname === '__init__') {
            const open = m.findIndex((x) => x.value === '(');
            const close = matching(m, open);
            cls.initParams = parseParams(src, comments, m.slice(open + 1, close));
          }
          for (const kc of kwargCalls(src, comments, fnBody)) {
            if (kc.method !== 'get') cls.kwargKeys.push(kc.key); // consumed from **kwargs (pop / setdefault)
            if (kc.hasDefault && !cls.kwargDefaults.some((x) => x.key === kc.key)) cls.kwargDefaults.push(kc);
          }
          for (const b of fnBody) {
            const bt = b.tokens;
            if (bt[0]?.value === 'self' && bt[1]?.value === '.' && bt[2]?.type === 'name' && (bt[3]?.value === '=' || bt[3]?.value === ':')) {
              cls.selfAssigned.push(bt[2].value);
            }
          }
        }
        continue;
      }
      if (m[0]?.type !== 'name') continue;
      const key = m[0].value;
      if (m[1]?.value === ':') {
        // Annotated class attribute: a dataclass field unless ClassVar.
        let eq = -1;
        let d = 0;
        for (let k = 2; k < m.length; k++) {
          const x = m[k];
          if (x.type === 'op' && '([{'.includes(x.value)) d++;
          if (x.type === 'op' && ')]}'.includes(x.value)) d--;
          if (d === 0 && x.type === 'op' && x.value === '=') { eq = k; break; }
        }
        const ann = m.slice(2, eq < 0 ? m.length : eq);
        const valueToks = eq < 0 ? [] : m.slice(eq + 1);
        if (ann[0]?.value === 'ClassVar' || (ann[0]?.value === 'typing' && ann[2]?.value === 'ClassVar')) {
          cls.classVars.add(key);
          classAttr(cls, key, valueToks, src, comments);
          continue;
        }
        if (eq < 0) { cls.fields.push({ name: key, hasDefault: false }); continue; }
        if (['model_type', 'attribute_map', 'base_config_key', 'sub_configs'].includes(key)) {
          classAttr(cls, key, valueToks, src, comments);
          continue;
        }
        cls.fields.push({ name: key, hasDefault: true, value: literalOrExpr(src, comments, valueToks) });
        continue;
      }
      if (m[1]?.value === '=') classAttr(cls, key, m.slice(2), src, comments);
    }
    classes.push(cls);
  }
  return classes;
}

function classAttr(cls, key, valueToks, src, comments) {
  if (valueToks.length === 0) return;
  if (key === 'model_type' || key === 'base_config_key') {
    const v = scalarLiteral(valueToks);
    if (v && typeof v.value === 'string') {
      if (key === 'model_type') cls.modelType = v.value; else cls.baseConfigKey = v.value;
    } else cls.notes.push(`${key} is not a string literal: ${exprText(src, comments, valueToks)}`);
  } else if (key === 'attribute_map') {
    const d = dictLiteral(valueToks);
    if (!d) { cls.notes.push(`attribute_map is not a dict literal: ${exprText(src, comments, valueToks)}`); return; }
    const out = {};
    for (const [k, v] of Object.entries(d)) {
      const s = scalarLiteral(v);
      if (s && typeof s.value === 'string') out[k] = s.value;
      else cls.notes.push(`attribute_map[${k}] is not a string`);
    }
    cls.attributeMap = out;
  } else if (key === 'sub_configs') {
    const d = dictLiteral(valueToks);
    if (!d) { cls.notes.push(`sub_configs is not a dict literal: ${exprText(src, comments, valueToks)}`); return; }
    cls.subConfigs = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, exprText(src, comments, v)]));
  }
}

// ---------------------------------------------------------------------------------------------------
// Collect files
// ---------------------------------------------------------------------------------------------------

function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function collect(root) {
  const byPath = new Map(); // repo-relative path -> [{commit, abs}]
  for (const commit of fs.readdirSync(root).sort()) {
    // A commit of huggingface/transformers, or a release tag (v5.18.0: the released package's sources).
    if (!/^([0-9a-f]{40}|v\d+\.\d+\.\d+)$/.test(commit)) continue;
    const base = path.join(root, commit);
    for (const abs of walk(base)) {
      const rel = path.relative(base, abs).split(path.sep).join('/');
      if (!rel.endsWith('.py')) continue;
      if (!byPath.has(rel)) byPath.set(rel, []);
      byPath.get(rel).push({ commit, abs });
    }
  }
  for (const [rel, list] of byPath) {
    if (list.length > 1) {
      throw new Error(`${rel} is present under several commits (${list.map((x) => x.commit).join(', ')}); keep one`);
    }
  }
  const models = new Map(); // folder -> {configuration: [...], modular: [...]}
  let utils;
  for (const [rel, [entry]] of byPath) {
    if (rel === 'src/transformers/configuration_utils.py') { utils = { rel, ...entry }; continue; }
    const m = /^src\/transformers\/models\/([^/]+)\/(configuration|modular)_[^/]+\.py$/.exec(rel);
    if (!m) continue;
    if (!models.has(m[1])) models.set(m[1], { configuration: [], modular: [] });
    models.get(m[1])[m[2]].push({ rel, ...entry });
  }
  const files = [];
  for (const folder of [...models.keys()].sort()) {
    const f = models.get(folder);
    files.push(...(f.configuration.length > 0 ? f.configuration : f.modular).sort((a, b) => (a.rel < b.rel ? -1 : 1)));
  }
  return { files, utils };
}

// ---------------------------------------------------------------------------------------------------
// Resolve and emit
// ---------------------------------------------------------------------------------------------------

function ownDefaults(cls) {
  const out = {};
  for (const f of cls.fields) if (f.hasDefault) out[f.name] = f.value;
  if (cls.initParams) for (const p of cls.initParams) if (p.hasDefault) out[p.name] = p.value;
  return out;
}

/** The model types of an auto mapping of ROOT/<tag>/src/transformers/models/auto/modeling_auto.py, or null when absent. */
function readAutoMapping(root, name) {
  for (const tag of fs.readdirSync(root).sort()) {
    const file = path.join(root, tag, 'src/transformers/models/auto/modeling_auto.py');
    if (!fs.existsSync(file)) continue;
    const src = fs.readFileSync(file, 'utf8');
    const start = src.indexOf(`${name} = `);
    if (start < 0) return null;
    const block = src.slice(start, src.indexOf('\n)\n', start));
    return new Set([...block.matchAll(/\(\s*"([^"]+)",\s*(?:"[^"]+"|\([^)]*\))\s*\)/g)].map((m) => m[1]));
  }
  return null;
}

function main() {
  const args = process.argv.slice(2);
  let root = DEFAULT_ROOT;
  let out = DEFAULT_OUT;
  let check = false;
  for (let k = 0; k < args.length; k++) {
    if (args[k] === '--out') out = path.resolve(args[++k]);
    else if (args[k] === '--check') check = true;
    else root = path.resolve(args[k]);
  }
  const { files, utils } = collect(root);
  if (!utils) throw new Error(`no src/transformers/configuration_utils.py under ${root}/<commit>/`);
  const warnings = [];

  const allClasses = [];
  for (const f of files) {
    const classes = parseFile(fs.readFileSync(f.abs, 'utf8'), f.rel);
    for (const c of classes) { c.commit = f.commit; allClasses.push(c); }
  }
  const byName = new Map();
  for (const c of allClasses) {
    if (!byName.has(c.className)) byName.set(c.className, c);
    else if (byName.get(c.className).file !== c.file) warnings.push(`class ${c.className} defined in ${byName.get(c.className).file} and ${c.file}; bases resolve to the first`);
  }

  const resolved = new Map();
  const resolve = (c, seen = new Set()) => {
    if (resolved.has(c)) return resolved.get(c);
    if (seen.has(c)) throw new Error(`inheritance cycle at ${c.className}`);
    seen.add(c);
    const parentName = c.bases.find((b) => byName.has(b) && !BASE_CLASSES.has(b) && byName.get(b) !== c);
    const parent = parentName ? resolve(byName.get(parentName), seen) : undefined;
    const r = {
      modelType: c.modelType ?? parent?.modelType,
      ownModelType: c.modelType !== undefined,
      attributeMap: { ...(parent?.attributeMap ?? {}), ...(c.attributeMap ?? {}) },
      defaults: { ...(parent?.defaults ?? {}), ...ownDefaults(c) },
      kwargDefaults: { ...(parent?.kwargDefaults ?? {}), ...Object.fromEntries(c.kwargDefaults.map((k) => [k.key, k.value])) },
      baseConfigKey: c.baseConfigKey ?? parent?.baseConfigKey,
      subConfigs: c.subConfigs ?? parent?.subConfigs,
      inheritsFrom: parentName,
      style: c.initParams ? 'init' : c.fields.length > 0 ? 'dataclass' : parent?.style ?? 'none',
    };
    resolved.set(c, r);
    return r;
  };

  const entries = new Map();
  for (const c of allClasses) {
    const r = resolve(c);
    for (const note of c.notes) warnings.push(`${c.file} ${c.className}: ${note}`);
    if (!r.ownModelType) {
      if (/Config$/.test(c.className) && r.modelType === undefined && c.bases.some((b) => BASE_CLASSES.has(b))) {
        warnings.push(`${c.file} ${c.className}: no model_type, so no entry of its own (inlined as subConfigDefaults where a class of the file lists it)`);
      }
      continue;
    }
    if (entries.has(r.modelType)) {
      const prev = entries.get(r.modelType);
      // A sub-config (it declares base_config_key, e.g. a vision tower that reuses the wrapper's model_type)
      // yields to the top-level class; otherwise the class whose folder is named after the model_type wins.
      const folder = (f) => f.split('/')[3];
      const rank = (x, rr) => (rr.baseConfigKey ? 0 : 2) + (folder(x.file) === r.modelType ? 1 : 0);
      const keepNew = rank(c, r) > rank(prev.cls, prev.r);
      warnings.push(`model_type ${r.modelType}: ${prev.cls.className} (${prev.cls.file}) and ${c.className} (${c.file}); kept ${keepNew ? c.className : prev.cls.className}`);
      if (!keepNew) continue;
    }
    entries.set(r.modelType, { cls: c, r });
  }

  // Only the decoder language models: the model types of MODEL_FOR_CAUSAL_LM_MAPPING_NAMES in the same
  // release's models/auto/modeling_auto.py, and the text configs those name as their `text_config`.
  const causal = readAutoMapping(root, 'MODEL_FOR_CAUSAL_LM_MAPPING_NAMES');
  if (causal) {
    const keep = new Set([...entries.keys()].filter((t) => causal.has(t)));
    // Vision-language wrappers (Qwen3-VL, Mistral 3, …) are not causal LMs themselves; their text configs are.
    const wrappers = [...entries.keys()].filter((t) => readAutoMapping(root, 'MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES')?.has(t));
    for (const t of [...keep, ...wrappers]) {
      for (const [attr, clsText] of Object.entries(entries.get(t).r.subConfigs ?? {})) {
        const cls = byName.get(String(clsText).trim());
        if (attr === 'text_config' && cls) {
          const mt = resolve(cls).modelType;
          if (mt && entries.has(mt)) keep.add(mt);
        }
      }
    }
    for (const t of [...entries.keys()]) if (!keep.has(t)) entries.delete(t);
    const keptFiles = new Set([...entries.values()].map((e) => e.cls.file));
    files.splice(0, files.length, ...files.filter((f) => keptFiles.has(f.rel)));
  }

  // PreTrainedConfig keys
  const uSrc = fs.readFileSync(utils.abs, 'utf8');
  const uClass = parseFile(uSrc, utils.rel).find((c) => BASE_CLASSES.has(c.className));
  if (!uClass) throw new Error(`no PreTrainedConfig class in ${utils.rel}`);
  const keys = new Set();
  for (const f of uClass.fields) keys.add(f.name);
  for (const p of uClass.initParams ?? []) keys.add(p.name);
  for (const k of uClass.kwargKeys) keys.add(k);
  for (const k of uClass.selfAssigned) keys.add(k);
  for (const k of uClass.classVars) keys.delete(k);
  const pretrainedKeys = [...keys].sort();

  // Emit
  const commits = new Map();
  for (const f of files) {
    if (!commits.has(f.commit)) commits.set(f.commit, []);
    commits.get(f.commit).push(f.rel);
  }
  const lines = [];
  lines.push('// GENERATED FILE: do not edit. Generated by scripts/gen-transformers-defaults.mjs from the');
  lines.push('// `transformers` config sources (github.com/huggingface/transformers); rerun the script to update.');
  lines.push('//');
  lines.push('// Each entry: a config class of transformers, keyed by its `model_type`, with the defaults of its keyword');
  lines.push('// arguments (the `__init__` signature, or the annotated dataclass fields that generate it in transformers 5),');
  lines.push('// its `attribute_map`, and literal defaults it takes from **kwargs. A default that is not a Python literal');
  lines.push('// is kept as `{ expr }`, unevaluated. Keys are spelled as in Python.');
  lines.push('//');
  lines.push('// Provenance (file -> commit of huggingface/transformers it was read at):');
  lines.push(`//   ${utils.rel} @ ${utils.commit}`);
  for (const f of files) lines.push(`//   ${f.rel} @ ${f.commit}`);
  lines.push('');
  lines.push('export type TransformersScalar = number | boolean | string | null;');
  lines.push('export type TransformersDefault = TransformersScalar | readonly TransformersScalar[] | { readonly expr: string };');
  lines.push('');
  lines.push('export interface TransformersConfigInfo {');
  lines.push('  /** The Python class, e.g. `LlamaConfig`. */');
  lines.push('  readonly configClass: string;');
  lines.push('  /** Source file in the transformers repository. */');
  lines.push('  readonly file: string;');
  lines.push('  /** Commit of huggingface/transformers the file was read at. */');
  lines.push('  readonly commit: string;');
  lines.push("  /** `init`: defaults from `def __init__`; `dataclass`: from annotated class fields (transformers 5). */");
  lines.push("  readonly style: 'init' | 'dataclass' | 'none';");
  lines.push('  /** A config class of another parsed file whose defaults this one inherits (own defaults win). */');
  lines.push('  readonly inheritsFrom?: string;');
  lines.push('  /** `attribute_map`: alias -> attribute name. */');
  lines.push('  readonly attributeMap: Readonly<Record<string, string>>;');
  lines.push('  readonly defaults: Readonly<Record<string, TransformersDefault>>;');
  lines.push('  /** Defaults taken from **kwargs: `kwargs.pop/get/setdefault("key", default)` in __init__ / __post_init__. */');
  lines.push('  readonly kwargDefaults: Readonly<Record<string, TransformersDefault>>;');
  lines.push('  readonly baseConfigKey?: string;');
  lines.push('  /** `sub_configs`: attribute -> class (source text). */');
  lines.push('  readonly subConfigs?: Readonly<Record<string, string>>;');
  lines.push('  /** Defaults of sub-config classes of the same file that have no model_type (so no entry) of their own. */');
  lines.push('  readonly subConfigDefaults?: Readonly<Record<string, Readonly<Record<string, TransformersDefault>>>>;');
  lines.push('}');
  lines.push('');
  lines.push('export const TRANSFORMERS_CONFIGS: Readonly<Record<string, TransformersConfigInfo>> = {');
  for (const mt of [...entries.keys()].sort()) {
    const { cls, r } = entries.get(mt);
    const e = {
      configClass: cls.className,
      file: cls.file,
      commit: cls.commit,
      style: r.style,
      ...(r.inheritsFrom ? { inheritsFrom: r.inheritsFrom } : {}),
      attributeMap: r.attributeMap,
      defaults: r.defaults,
      kwargDefaults: r.kwargDefaults,
      ...(r.baseConfigKey ? { baseConfigKey: r.baseConfigKey } : {}),
      ...(r.subConfigs ? { subConfigs: r.subConfigs } : {}),
    };
    // A sub-config class with no model_type of its own (MPT's attn_config) has no entry to point to: inline its
    // defaults here. Sub-configs with a model_type have their own entry.
    const inline = {};
    for (const [attr, clsName] of Object.entries(r.subConfigs ?? {})) {
      const sub = byName.get(clsName);
      if (sub && sub.file === cls.file && resolve(sub).modelType === undefined) inline[attr] = resolve(sub).defaults;
    }
    if (Object.keys(inline).length > 0) e.subConfigDefaults = inline;
    const body = JSON.stringify(e, null, 2).split('\n').map((l, k) => (k === 0 ? l : `  ${l}`)).join('\n');
    lines.push(`  ${JSON.stringify(mt)}: ${body},`);
  }
  lines.push('};');
  lines.push('');
  lines.push(`/**`);
  lines.push(` * Every key PreTrainedConfig itself declares or takes (${utils.rel} @ ${utils.commit}):`);
  lines.push(' * its dataclass fields / __init__ parameters, the keys it consumes from **kwargs (pop / setdefault; a `get`');
  lines.push(' * only peeks, e.g. at the rope keys its subclasses own) and the attributes it sets on');
  lines.push(' * itself, ClassVars excluded. Generic to every model type, not architecture.');
  lines.push(' */');
  lines.push(`export const PRETRAINED_CONFIG_KEYS: readonly string[] = ${JSON.stringify(pretrainedKeys, null, 2)};`);
  lines.push('');
  const text = lines.join('\n');

  for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
  if (check) {
    const cur = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    if (cur !== text) { process.stderr.write(`${path.relative(REPO, out)} is out of date\n`); process.exit(1); }
    process.stdout.write(`${path.relative(REPO, out)} is up to date (${entries.size} model types)\n`);
    return;
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
  process.stdout.write(`wrote ${path.relative(REPO, out)}: ${entries.size} model types from ${files.length} files, ${pretrainedKeys.length} PreTrainedConfig keys\n`);
}

main();
