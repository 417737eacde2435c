/**
 * Config text → a JSON tree that keeps every key's value *and* its source range, so lenses and hovers
 * can point at the key and error messages can name its line. Syntax errors come back with line and
 * column; input that is not a plausible config (huge, absurdly deep) is refused before parsing.
 */
import { parseTree, findNodeAtLocation, getNodeValue, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { ConfigIssue, SourcePosition, SourceRange } from './errors';

/** Model configs are a few KB; the largest public ones (with quantization maps) stay under 1 MiB. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Real configs nest 3–4 levels; the parser recurses, so refuse deep input before it can overflow. */
export const MAX_NESTING_DEPTH = 64;

export type JsonPath = readonly (string | number)[];

export interface JsonSource {
  text: string;
  root: Node | undefined;
  /** Syntax errors and refusals; empty for a clean file. */
  issues: ConfigIssue[];
  rangeOf(offset: number, length: number): SourceRange;
}

export function parseJsonSource(text: string): JsonSource {
  const lineStarts = computeLineStarts(text);
  const rangeOf = (offset: number, length: number): SourceRange => ({
    offset,
    length,
    start: positionAt(lineStarts, offset),
    end: positionAt(lineStarts, offset + length),
  });
  const source: JsonSource = { text, root: undefined, issues: [], rangeOf };

  if (text.length > MAX_CONFIG_BYTES) {
    source.issues.push({
      severity: 'error',
      code: 'too-large',
      message: `file is ${(text.length / 1048576).toFixed(1)} MiB; model configs are a few KB (limit ${MAX_CONFIG_BYTES / 1048576} MiB)`,
      hint: 'Point at the model\'s config.json, not at weights, tokenizer or index files.',
    });
    return source;
  }
  if (text.trim() === '') {
    source.issues.push({ severity: 'error', code: 'empty', message: 'file is empty', hint: 'A model config is a JSON object such as {"model_type": "llama", ...}.' });
    return source;
  }
  const deep = findExcessiveNesting(text, MAX_NESTING_DEPTH);
  if (deep !== undefined) {
    source.issues.push({
      severity: 'error',
      code: 'too-deep',
      message: `JSON nests deeper than ${MAX_NESTING_DEPTH} levels`,
      range: rangeOf(deep, 1),
      hint: 'Model configs nest a few levels; check that this is the right file.',
    });
    return source;
  }

  const errors: ParseError[] = [];
  // transformers reads config.json with Python's json module, which takes NaN, Infinity and -Infinity
  // as bare literals (and real configs hold them). jsonc-parser does not: each is swapped for a number
  // of the same length (so every offset and range stays the file's own) and its value restored after.
  const literals = pythonLiterals(text);
  source.root = parseTree(literals.size ? withPlaceholders(text, literals) : text, errors, { allowTrailingComma: false, disallowComments: true });
  if (source.root && literals.size) restoreLiterals(source.root, literals);
  // transformers reads config.json with Python's json module: comments and trailing commas break it too.
  for (const e of errors.slice(0, 20)) {
    source.issues.push({
      severity: 'error',
      code: 'json-syntax',
      message: `JSON syntax error: ${describeParseError(printParseErrorCode(e.error))}`,
      range: rangeOf(e.offset, e.length),
      hint: 'Fix the JSON at this position (Python\'s json module, which transformers uses, would reject it too).',
    });
  }
  return source;
}

/** The value node of the property at `path`, if present. */
export function nodeAt(source: JsonSource, path: JsonPath): Node | undefined {
  return source.root ? findNodeAtLocation(source.root, path as (string | number)[]) : undefined;
}

/** The plain value at `path` (objects/arrays converted), if present. */
export function valueAt(source: JsonSource, path: JsonPath): unknown {
  const node = nodeAt(source, path);
  return node ? getNodeValue(node) : undefined;
}

/** Range of the *key* of the property whose value is `valueNode` (what a lens sits on); the value's range otherwise. */
export function keyRange(source: JsonSource, valueNode: Node): SourceRange {
  const property = valueNode.parent;
  if (property?.type === 'property' && property.children?.[0]) {
    const key = property.children[0];
    return source.rangeOf(key.offset, key.length);
  }
  return source.rangeOf(valueNode.offset, valueNode.length);
}

/** Bare NaN / Infinity / -Infinity outside strings: offset → the value Python's json gives it. */
function pythonLiterals(text: string): Map<number, { length: number; value: number }> {
  const out = new Map<number, { length: number; value: number }>();
  const word = /[A-Za-z0-9_.]/;
  scanOutsideStrings(text, (c, i) => {
    const entry = c === 78 /* N */ && text.startsWith('NaN', i) ? { length: 3, value: NaN }
      : c === 73 /* I */ && text.startsWith('Infinity', i) ? { length: 8, value: Infinity }
      : c === 45 /* - */ && text.startsWith('-Infinity', i) ? { length: 9, value: -Infinity }
      : undefined;
    // A literal only when it stands alone (NaNx, Infinity2 stay syntax errors, as in Python).
    if (!entry || word.test(text[i + entry.length] ?? ' ') || (i > 0 && word.test(text[i - 1]!))) return undefined;
    out.set(i, entry);
    return entry.length;
  });
  return out;
}

/** Same-length numeric placeholders: 0e0 for NaN (restored after), ±1e…9 that overflow to ±Infinity. */
function withPlaceholders(text: string, literals: Map<number, { length: number; value: number }>): string {
  let out = '';
  let last = 0;
  for (const [offset, { length, value }] of [...literals].sort((a, b) => a[0] - b[0])) {
    out += text.slice(last, offset) + (Number.isNaN(value) ? '0e0' : value > 0 ? '1e999999' : '-1e999999');
    last = offset + length;
  }
  return out + text.slice(last);
}

function restoreLiterals(node: Node, literals: Map<number, { length: number; value: number }>): void {
  if (node.type === 'number') {
    const literal = literals.get(node.offset);
    // jsonc-parser types its nodes read-only; this tree is ours until parseJsonSource returns it.
    if (literal) (node as { value: unknown }).value = literal.value;
  }
  for (const child of node.children ?? []) restoreLiterals(child, literals);
}

function describeParseError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'malformed number',
    PropertyNameExpected: 'expected a quoted property name',
    ValueExpected: 'expected a value',
    ColonExpected: "expected ':'",
    CommaExpected: "expected ','",
    CloseBraceExpected: "expected '}' (the file may be truncated)",
    CloseBracketExpected: "expected ']' (the file may be truncated)",
    EndOfFileExpected: 'unexpected content after the end of the JSON value',
    InvalidCommentToken: 'comments are not allowed in JSON',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string (the file may be truncated)',
    UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid unicode escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'invalid character in string',
  };
  return words[code] ?? code;
}

function computeLineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

function positionAt(lineStarts: number[], offset: number): SourcePosition {
  let lo = 0;
  let hi = lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo, character: offset - (lineStarts[lo] ?? 0) };
}

/** Offset of the first bracket that opens level `limit + 1`, skipping strings; undefined if within limit. */
function findExcessiveNesting(text: string, limit: number): number | undefined {
  let depth = 0;
  let found: number | undefined;
  scanOutsideStrings(text, (c, i) => {
    if (c === 123 || c === 91) {
      if (++depth > limit) {
        found = i;
        return Infinity;
      }
    } else if (c === 125 || c === 93) depth--;
    return undefined;
  });
  return found;
}

/**
 * Calls `visit` with each character code outside JSON strings and its offset. `visit` may return how
 * many characters it consumed (the scan continues after them; Infinity stops it).
 */
function scanOutsideStrings(text: string, visit: (code: number, offset: number) => number | undefined): void {
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else {
      const consumed = visit(c, i);
      if (consumed !== undefined) i += consumed - 1;
    }
  }
}
