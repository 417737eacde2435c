/**
 * Extension entry: wiring only. The editor surfaces (lenses, hovers, diagnostics, commands) arrive with
 * their own issue; until then activation registers nothing visible.
 */
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // Intentionally empty: see docs/architecture.md for what will be wired here.
}

export function deactivate(): void {}
