/**
 * Where the report page's bundle lives and how a self-contained export is assembled from it: one
 * place for the panel's export, the CLI's `report` and the tests. No DOM and no vscode here.
 */
import * as path from 'node:path';
import { reportHtml } from './reportHtml';
import type { ReportData } from './reportProtocol';

export interface ReportAssets {
  script: string;
  css: string;
}

/** dist/webview/report.js and report.css, next to the bundles that use them. */
export function reportAssetPaths(distDir: string): { script: string; css: string } {
  return { script: path.join(distDir, 'webview', 'report.js'), css: path.join(distDir, 'webview', 'report.css') };
}

/**
 * A CSP nonce: 144 random bits, base64 letters and digits only. Web Crypto's global, not node:crypto:
 * importing that module costs the extension's activation 8 ms, and a nonce is needed only when a
 * report opens.
 */
export function newNonce(): string {
  return Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(18))).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function exportPage(assets: ReportAssets, data: ReportData): string {
  return reportHtml({ title: `${data.title} — Attention Lens report`, script: assets.script, css: assets.css, nonce: newNonce(), mode: 'export', data });
}
