/**
 * The activity-bar views: every model config in the workspace, grouped by folder, with its variant and
 * KV per token; and the profile runs stored so far, with their device. Native trees (a list is what
 * they show); a welcome message with a button when the workspace has no model config.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { kvCaveat } from '../core/caveat';
import { bytes } from '../core/format';
import { MAX_CONFIG_BYTES } from '../core/jsonSource';
import { COMMANDS } from './commandIds';
import { analyzeText, type ModelDocuments } from './modelDocuments';
import type { Profiler, StoredProfileRun } from './profiler';
import { findModelConfigs } from './workspaceConfigs';

type ModelNode =
  | { kind: 'folder'; label: string; configs: vscode.Uri[] }
  | { kind: 'config'; uri: vscode.Uri };

export class ModelsView implements vscode.TreeDataProvider<ModelNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ModelNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private configs: Promise<vscode.Uri[]> | undefined;
  /** Analysis summaries by URI and modification time: a tree refresh rereads only what changed. */
  private readonly summaries = new Map<string, { mtime: number; description: string; tooltip: string; problem: boolean }>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly documents: ModelDocuments) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.json');
    this.subscriptions = [
      this.changed,
      watcher,
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
      watcher.onDidChange((uri) => {
        this.summaries.delete(uri.toString());
        this.changed.fire(undefined);
      }),
      documents.onDidChange(() => this.changed.fire(undefined)),
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.refresh()),
    ];
  }

  refresh(): void {
    this.configs = undefined;
    this.summaries.clear();
    this.changed.fire(undefined);
  }

  async getChildren(node?: ModelNode): Promise<ModelNode[]> {
    if (node?.kind === 'folder') return node.configs.map((uri) => ({ kind: 'config', uri }));
    if (node) return [];
    this.configs ??= findModelConfigs(this.documents);
    const configs = await this.configs;
    void vscode.commands.executeCommand('setContext', 'attentionLens.hasModelConfigs', configs.length > 0);
    // Group by the folder that holds the model folders (examples/, models/), so siblings sit together.
    const groups = new Map<string, vscode.Uri[]>();
    for (const uri of configs) {
      const relative = vscode.workspace.asRelativePath(uri, true);
      const group = path.posix.dirname(path.posix.dirname(relative));
      groups.set(group, [...(groups.get(group) ?? []), uri]);
    }
    return [...groups.entries()].map(([label, uris]) => ({ kind: 'folder', label: label === '.' ? '(workspace root)' : label, configs: uris }));
  }

  async getTreeItem(node: ModelNode): Promise<vscode.TreeItem> {
    if (node.kind === 'folder') {
      const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = vscode.ThemeIcon.Folder;
      item.description = `${node.configs.length} config${node.configs.length === 1 ? '' : 's'}`;
      return item;
    }
    const name = path.basename(path.dirname(node.uri.path)) || path.basename(node.uri.path);
    const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
    const summary = await this.summary(node.uri);
    item.description = summary.description;
    item.accessibilityInformation = { label: `${name}, ${summary.description}` };
    item.tooltip = new vscode.MarkdownString(summary.tooltip);
    item.iconPath = new vscode.ThemeIcon(summary.problem ? 'warning' : 'json');
    item.resourceUri = node.uri;
    item.contextValue = 'modelConfig';
    item.command = { title: 'Open config', command: 'vscode.open', arguments: [node.uri] };
    return item;
  }

  private async summary(uri: vscode.Uri): Promise<{ description: string; tooltip: string; problem: boolean }> {
    // An open document may hold unsaved edits: the editor's analysis wins.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return describe(this.documents.analyze(open));
    let stat: vscode.FileStat;
    try {
      stat = await vscode.workspace.fs.stat(uri);
    } catch {
      return { description: 'unreadable', tooltip: `${uri.fsPath} could not be read`, problem: true };
    }
    const cached = this.summaries.get(uri.toString());
    if (cached && cached.mtime === stat.mtime) return cached;
    if (stat.size > MAX_CONFIG_BYTES) return { description: 'too large', tooltip: 'Larger than 4 MiB: not read.', problem: true };
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const summary = describe(analyzeText({ file: vscode.workspace.asRelativePath(uri, true), text }, this.documents.current));
    this.summaries.set(uri.toString(), { mtime: stat.mtime, ...summary });
    return summary;
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }
}

function describe(analysis: ReturnType<typeof analyzeText> | undefined): { description: string; tooltip: string; problem: boolean } {
  if (!analysis) return { description: 'not a model config', tooltip: 'No model keys found.', problem: true };
  if (!analysis.report) return { description: 'has a problem', tooltip: analysis.problem ?? '', problem: true };
  const { json } = analysis.report;
  const variant = json.attention.variant === 'mixed' ? 'Mixed' : json.attention.variant === 'none' ? 'No attention' : json.attention.variant.toUpperCase();
  return {
    description: `${kvCaveat(json) ? '⚠ ' : ''}${variant} · ${bytes(json.kv.bytesPerToken)}/token`,
    tooltip: `${kvCaveat(json) ? `⚠ **${kvCaveat(json)}**\n\n` : ''}**${json.attention.label}**\n\n${bytes(json.kv.bytesPerToken)} of KV per token (${json.kv.dtype}) · ${bytes(json.kv.totalBytes)} at ${json.kv.contextTokens.toLocaleString('en-US')} tokens`,
    problem: false,
  };
}

export class RunsView implements vscode.TreeDataProvider<StoredProfileRun>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly profiler: Profiler) {
    this.subscription = profiler.onDidFinish(() => this.changed.fire(undefined));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: StoredProfileRun): StoredProfileRun[] {
    return node ? [] : this.profiler.runs();
  }

  getTreeItem(run: StoredProfileRun): vscode.TreeItem {
    const config = vscode.Uri.parse(run.config, true);
    const name = path.basename(path.dirname(config.path)) || 'model';
    const measured = run.report.results.filter((r) => r.status === 'measured').length;
    const item = new vscode.TreeItem(name, vscode.TreeItemCollapsibleState.None);
    item.description = `${run.report.device.adapter.split(':')[0]} · ${new Date(run.report.finishedAt).toLocaleString()}`;
    item.tooltip = `${run.report.device.adapter} (${run.report.device.backend})\n${measured} of ${run.report.results.length} cases measured\n${run.report.finishedAt}`;
    item.iconPath = new vscode.ThemeIcon('pulse');
    item.contextValue = 'profileRun';
    item.command = { title: 'Open report', command: COMMANDS.openReport, arguments: [config] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
    this.subscription.dispose();
  }
}
