/**
 * A problem with a config file that the user can fix. Every message names the file, the key and the
 * line (when there is one) and says what to do, so CLI output and editor diagnostics read the same.
 */
export interface SourcePosition {
  /** 0-based, like VS Code's Position. Printed 1-based. */
  line: number;
  character: number;
}

export interface SourceRange {
  offset: number;
  length: number;
  start: SourcePosition;
  end: SourcePosition;
}

export type IssueSeverity = 'error' | 'warning' | 'info';

export interface ConfigIssue {
  severity: IssueSeverity;
  /** Stable machine-readable code, e.g. `json-syntax`, `not-integer`, `heads-not-divisible`. */
  code: string;
  message: string;
  /** Dotted key path, e.g. `text_config.num_key_value_heads`. */
  key?: string;
  range?: SourceRange;
  /** What the user can do about it. */
  hint?: string;
}

/** Thrown by the engine for input it cannot work with; carries the issue for the front ends. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issue: ConfigIssue,
  ) {
    super(formatIssue(file, issue));
    this.name = 'ConfigError';
  }
}

/** Thrown for bad options (a GPU name, a dtype, a context length), not bad files. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `file:line:col: key: message. hint` — one line, the shape compilers use, so terminals link it. */
export function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.range ? `${file}:${issue.range.start.line + 1}:${issue.range.start.character + 1}` : file;
  const key = issue.key ? `${issue.key}: ` : '';
  const hint = issue.hint ? ` ${issue.hint}` : '';
  return `${where}: ${issue.severity}: ${key}${issue.message}.${hint}`;
}
