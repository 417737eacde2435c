/**
 * Which open documents are model configs, and their analysis (report, lenses, diagnostics), computed
 * once per document version and settings generation so that lenses, hovers, diagnostics and the status
 * bar never parse the same text twice. Listeners hear one debounced change event per burst of edits.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isModelConfigText } from '../core/configDetection';
import { configDiagnostics } from '../core/diagnostics';
import { ConfigError, UsageError, type ConfigIssue } from '../core/errors';
import { computeLenses, type LensModel } from '../core/lenses';
import { buildKvReport, type KvReport, type ModelInput } from '../core/report';
import type { Log } from './log';
import { readSettings, type EditorSettings } from './settings';

export interface Analysis {
  input: ModelInput;
  /** The report under the current settings; undefined when the config or a setting is unusable. */
  report: KvReport | undefined;
  /** Why there is no report: a config error (file, key, line) or a setting the engine refused. */
  problem: string | undefined;
  /** The key the problem is on, for a lens that points at it. */
  problemRange: ConfigIssue['range'];
  /** The problem's stable code (`json-syntax`, `heads-not-divisible`, …). */
  problemCode: string | undefined;
  lenses: LensModel[];
  diagnostics: ConfigIssue[];
}

const EDIT_DEBOUNCE_MS = 250;
/** An index past this is not a real safetensors index; skip it rather than read it. */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;

export class ModelDocuments implements vscode.Disposable {
  private settings: EditorSettings = readSettings();
  private readonly cache = new Map<string, { version: number; generation: number; analysis: Analysis }>();
  private readonly detected = new Map<string, { version: number; isModel: boolean }>();
  /** The last analysis with a report, per document: lenses stay put while the JSON is mid-edit. */
  private readonly lastGood = new Map<string, Analysis>();
  private generation = 0;
  private readonly changed = new vscode.EventEmitter<vscode.Uri | undefined>();
  /** Fires after edits settle (with the document) and after a settings change (undefined: all). */
  readonly onDidChange = this.changed.event;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly log: Log) {
    this.disposables.push(
      this.changed,
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length === 0 || !isJson(e.document)) return;
        const key = e.document.uri.toString();
        clearTimeout(this.timers.get(key));
        this.timers.set(key, setTimeout(() => {
          this.timers.delete(key);
          this.changed.fire(e.document.uri);
        }, EDIT_DEBOUNCE_MS));
      }),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.cache.delete(d.uri.toString());
        this.detected.delete(d.uri.toString());
        this.lastGood.delete(d.uri.toString());
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('attentionLens')) return;
        this.settings = readSettings();
        this.generation++;
        this.detected.clear();
        this.lastGood.clear();
        this.log.info('settings changed; recomputing every open config');
        this.changed.fire(undefined);
      }),
    );
  }

  get current(): EditorSettings {
    return this.settings;
  }

  /** A JSON document named config.json (or matching attentionLens.files.include) that holds model keys. */
  isModelConfig(document: vscode.TextDocument): boolean {
    if (!isJson(document)) return false;
    const named = path.basename(document.uri.path).toLowerCase() === 'config.json' || this.settings.include.some((pattern) => vscode.languages.match({ pattern }, document) > 0);
    if (!named) return false;
    const key = document.uri.toString();
    const seen = this.detected.get(key);
    if (seen?.version === document.version) return seen.isModel;
    const isModel = isModelConfigText(document.getText());
    this.detected.set(key, { version: document.version, isModel });
    return isModel;
  }

  /**
   * The analysis a worker command (Profile, Measure Quality) runs on: opens the config and analyses it,
   * or says why `action` cannot run (the config's problem, with a way to the Problems view) and gives
   * undefined.
   */
  async analyzedForRun(configUri: vscode.Uri, action: string): Promise<(Analysis & { report: KvReport }) | undefined> {
    const analysis = this.analyze(await vscode.workspace.openTextDocument(configUri));
    if (analysis?.report) return analysis as Analysis & { report: KvReport };
    const folder = path.basename(path.dirname(configUri.path));
    const a = await vscode.window.showErrorMessage(`Attention Lens: cannot ${action} ${folder}/${path.basename(configUri.path)}: ${analysis?.problem ?? 'not a model config'}`, ...(analysis ? ['Show Problems'] : []));
    if (a) await vscode.commands.executeCommand('workbench.actions.view.problems');
    return undefined;
  }

  /** The analysis of a model config, from the cache when its text and the settings are unchanged. */
  analyze(document: vscode.TextDocument): Analysis | undefined {
    if (!this.isModelConfig(document)) return undefined;
    const key = document.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === document.version && hit.generation === this.generation) return hit.analysis;
    const started = performance.now();
    const analysis = analyzeText({ file: displayPath(document.uri), text: document.getText(), indexText: readIndex(document.uri) }, this.settings);
    this.cache.set(key, { version: document.version, generation: this.generation, analysis });
    if (analysis.report) this.lastGood.set(key, analysis);
    this.log.trace(`analyzed ${displayPath(document.uri)} v${document.version} in ${(performance.now() - started).toFixed(1)} ms`);
    return analysis;
  }

  /** Tells every surface that something about this config changed outside its text (a measurement). */
  refresh(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  /**
   * What the lenses should show: the analysis, or — while the text does not parse as JSON (someone is
   * typing) — the last good one, so that lenses do not vanish and shift every line below them.
   */
  forLenses(document: vscode.TextDocument): Analysis | undefined {
    const analysis = this.analyze(document);
    if (analysis?.problemCode !== 'json-syntax') return analysis;
    return this.lastGood.get(document.uri.toString()) ?? analysis;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables) d.dispose();
  }
}

/** The pure part, exported for the benchmark: report, lenses and diagnostics of one config text. */
export function analyzeText(input: ModelInput, settings: Pick<EditorSettings, 'report'>): Analysis {
  const { issues } = configDiagnostics(input.file, input.text);
  try {
    const report = buildKvReport(input, settings.report);
    return { input, report, problem: undefined, problemRange: undefined, problemCode: undefined, lenses: computeLenses(input, settings.report, report), diagnostics: issues };
  } catch (e) {
    if (e instanceof ConfigError) return { input, report: undefined, problem: e.message, problemRange: e.issue.range, problemCode: e.issue.code, lenses: [], diagnostics: issues };
    if (e instanceof UsageError) return { input, report: undefined, problem: `a setting the engine refused: ${e.message} (attentionLens.* settings)`, problemRange: undefined, problemCode: 'setting', lenses: [], diagnostics: issues };
    throw e;
  }
}

export function isJson(document: vscode.TextDocument): boolean {
  return document.languageId === 'json' || document.languageId === 'jsonc';
}

/** The path users know the file by: relative to its workspace folder when it has one. */
export function displayPath(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? vscode.workspace.asRelativePath(uri, true) : uri.path;
}

/** model.safetensors.index.json beside the config gives the exact weight bytes; read it when present. */
function readIndex(uri: vscode.Uri): string | undefined {
  if (uri.scheme !== 'file') return undefined;
  const file = path.join(path.dirname(uri.fsPath), 'model.safetensors.index.json');
  try {
    const stat = fs.statSync(file);
    return stat.isFile() && stat.size <= MAX_INDEX_BYTES ? fs.readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}
