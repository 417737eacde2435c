/**
 * Every image README.md shows is a file in the repository, small enough for a README (the pictures in
 * docs/screenshots/ come from the e2e run: `ATTENTION_LENS_SCREENSHOTS=docs/screenshots npm run test:e2e`),
 * says in its alt text what it shows, and no screenshot lies there unlinked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './helpers';

const MAX_BYTES = 200 * 1024;
const SCREENSHOTS = 'docs/screenshots';

interface ReadmeImage { line: number; alt: string; src: string }

/** Markdown images `![alt](src "title")` and HTML `<img src alt>` outside fenced code blocks. */
function readmeImages(markdown: string): ReadmeImage[] {
  const out: ReadmeImage[] = [];
  let fenced = false;
  markdown.split('\n').forEach((raw, i) => {
    if (/^\s*```/.test(raw)) {
      fenced = !fenced;
      return;
    }
    if (fenced) return;
    for (const m of raw.matchAll(/!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      out.push({ line: i + 1, alt: m[1] ?? '', src: m[2] ?? '' });
    }
    for (const m of raw.matchAll(/<img\b[^>]*>/gi)) {
      const attr = (name: string): string => new RegExp(`\\b${name}\\s*=\\s*"([^"]*)"`, 'i').exec(m[0])?.[1] ?? '';
      out.push({ line: i + 1, alt: attr('alt'), src: attr('src') });
    }
  });
  return out;
}

const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const images = readmeImages(readme);
const local = images.filter((img) => !/^[a-z][a-z0-9+.-]*:/i.test(img.src));
const fileOf = (src: string): string => path.resolve(ROOT, decodeURI(src.replace(/[?#].*$/, '')));

test('README images: every linked image is a file in the repository under 200 KB', () => {
  assert.ok(local.length > 0, 'README.md shows no image of its own');
  for (const img of local) {
    const where = `README.md:${img.line}: ${img.src}`;
    const file = fileOf(img.src);
    assert.ok(file.startsWith(ROOT + path.sep), `${where} points outside the repository`);
    assert.ok(existsSync(file) && statSync(file).isFile(), `${where} does not exist`);
    const bytes = statSync(file).size;
    assert.ok(bytes <= MAX_BYTES, `${where} is ${(bytes / 1024).toFixed(0)} KB, over ${MAX_BYTES / 1024} KB: clip it tighter`);
    if (file.endsWith('.png')) {
      assert.deepEqual([...readFileSync(file).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${where} is not a PNG`);
    }
  }
});

test('README images: each says in its alt text what it shows', () => {
  for (const img of images) assert.ok(img.alt.trim().split(/\s+/).length >= 3, `README.md:${img.line}: ${img.src} needs alt text saying what it shows`);
});

test('README images: every screenshot in docs/screenshots/ is shown', () => {
  const dir = path.join(ROOT, SCREENSHOTS);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.png')) : [];
  const linked = new Set(local.map((img) => fileOf(img.src)));
  const orphans = files.filter((f) => !linked.has(path.join(dir, f)));
  assert.deepEqual(orphans, [], `not linked from README.md: remove them or show them`);
});

test('README images: extraction', () => {
  const md = [
    '![The lenses on a config](docs/a.png)', 'text ![b](https://x.org/b.png "t") and <img src="docs/c.png" alt="C shown">',
    '```md', '![not an image](in/code.png)', '```',
  ].join('\n');
  assert.deepEqual(readmeImages(md), [
    { line: 1, alt: 'The lenses on a config', src: 'docs/a.png' },
    { line: 2, alt: 'b', src: 'https://x.org/b.png' },
    { line: 2, alt: 'C shown', src: 'docs/c.png' },
  ]);
});
