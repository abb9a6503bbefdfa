import { expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../support/cli-harness.js';

// Every relative link in the README and docs/*.md leads somewhere: the file exists, and an anchor
// (`docs/benchmarks.md#spawning`) names a heading of that file as GitHub makes anchors of them.

const DOCS = ['README.md', ...fs.readdirSync(path.join(PROJECT_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** The text outside fenced code blocks and inline code, where a link is a link. */
function prose(md: string): string {
  return md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's anchors for a file's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(md: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of md.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const text = (m[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function links(md: string): string[] {
  return [...prose(md).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1] as string).filter((l) => !/^[a-z]+:/i.test(l));
}

test('the anchors are GitHub’s', () => {
  expect([...anchorsOf('# Spawning: what was measured\n## The service limit (s6-svscan -c)\n## Spawning: what was measured\n')]).toEqual([
    'spawning-what-was-measured',
    'the-service-limit-s6-svscan--c',
    'spawning-what-was-measured-1',
  ]);
});

test.each(DOCS)('every relative link in %s leads to a file and a heading that exist', (doc) => {
  const md = fs.readFileSync(path.join(PROJECT_ROOT, doc), 'utf8');
  const broken: string[] = [];
  for (const link of links(md)) {
    const [file, anchor] = link.split('#') as [string, string | undefined];
    const target = file === '' ? path.join(PROJECT_ROOT, doc) : path.resolve(path.dirname(path.join(PROJECT_ROOT, doc)), decodeURI(file));
    if (!fs.existsSync(target)) {
      broken.push(`${link}: no such file`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!target.endsWith('.md')) continue;
    if (!anchorsOf(fs.readFileSync(target, 'utf8')).has(decodeURIComponent(anchor))) broken.push(`${link}: no heading with that anchor`);
  }
  expect(broken).toEqual([]);
});
