import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The Markdown a reader follows links through: the README, the guides, the architecture and package READMEs. */
function markdownFiles(): string[] {
  const inDir = (dir: string, name = /\.md$/) =>
    existsSync(path.join(ROOT, dir)) ? readdirSync(path.join(ROOT, dir)).filter((f) => name.test(f)).map((f) => path.join(dir, f)) : [];
  const readmes = (dir: string) =>
    readdirSync(path.join(ROOT, dir))
      .map((name) => path.join(dir, name, 'README.md'))
      .filter((file) => existsSync(path.join(ROOT, file)));
  return ['README.md', 'ARCHITECTURE.md', ...inDir('docs'), ...readmes('packages'), ...readmes('examples')];
}

/** Lines outside fenced code blocks (a `#` there is a shell comment, a `](` is code). */
function prose(text: string): string[] {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, `-1`, `-2` for repeats. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const line of prose(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const plain = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
    const slug = plain.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    out.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return out;
}

/** The relative link targets of a Markdown text (inline links and images, outside code), with their line. */
export function relativeLinks(text: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  prose(text).forEach((line, i) => {
    const withoutCode = line.replace(/`[^`]*`/g, '');
    for (const match of withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      links.push({ line: i + 1, target });
    }
  });
  return links;
}

test('anchors and links are read as GitHub renders them', () => {
  const text = '# Node.js versions and the `SQLite` driver\n## Retries, failure\n## Retries, failure\n```sh\n# not a heading [x](nowhere.md)\n```\nSee [a](b.md#c), `[d](e.md)`, [f](https://x.example) and ![g](img/h.png "t").\n';
  assert.deepEqual([...anchors(text)], ['nodejs-versions-and-the-sqlite-driver', 'retries-failure', 'retries-failure-1']);
  assert.deepEqual(relativeLinks(text), [{ line: 7, target: 'b.md#c' }, { line: 7, target: 'img/h.png' }]);
});

test('every relative link in the README, the guides and the package READMEs reaches a file and, when it names one, a heading', () => {
  const files = markdownFiles();
  assert.ok(files.includes('docs/README.md'), `found only ${files.join(', ')}`);
  const broken: string[] = [];
  for (const file of files) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    for (const { line, target } of relativeLinks(text)) {
      const [pathPart, fragment] = target.split('#', 2) as [string, string | undefined];
      const resolved = pathPart === '' ? path.join(ROOT, file) : path.resolve(path.dirname(path.join(ROOT, file)), decodeURIComponent(pathPart));
      const where = `${file}:${line} → ${target}`;
      if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT) broken.push(`${where}: outside the repository`);
      else if (!existsSync(resolved)) broken.push(`${where}: no such file`);
      else if (fragment && statSync(resolved).isFile() && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(fragment)) {
        broken.push(`${where}: no heading with that anchor`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
