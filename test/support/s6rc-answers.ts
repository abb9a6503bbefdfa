import path from 'node:path';
import { s6rc } from './s6rc-oracle.js';

// What s6-rc-db says of a compiled s6-rc database, for every service and bundle, in the terms
// rcform's compiled database uses: closures without the service itself, s6-rc's internal
// s6rc-* services left out, every list sorted.

export interface S6rcAnswers {
  types: Record<string, string>;
  dependencies: Record<string, string[]>;
  closures: Record<string, string[]>;
  reverseClosures: Record<string, string[]>;
  /** Bundle → its atomic members (s6-rc-db contents expands nested bundles). */
  contents: Record<string, string[]>;
  /** Longrun → its service directory's files (run, env/, data/…) by path, as s6-rc-compile wrote them. */
  servicedirs: Record<string, Record<string, string>>;
  /** Oneshot → its up and down command lines as s6-rc-db script prints them (NUL-separated words). */
  scripts: Record<string, { up: string; down: string }>;
}

const own = (name: string): boolean => !name.startsWith('s6rc-');
const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '');
const sorted = (xs: string[]): string[] => [...new Set(xs)].sort();

export function s6rcAnswers(compiled: string, readTree: (dir: string) => Record<string, string>): S6rcAnswers {
  const db = (...args: string[]): string => s6rc('s6-rc-db', ['-c', compiled, ...args]);
  const a: S6rcAnswers = { types: {}, dependencies: {}, closures: {}, reverseClosures: {}, contents: {}, servicedirs: {}, scripts: {} };
  for (const name of lines(db('list', 'all')).filter(own)) {
    const type = db('type', name).trim();
    a.types[name] = type;
    if (type === 'bundle') {
      a.contents[name] = sorted(lines(db('contents', name)));
      continue;
    }
    a.dependencies[name] = sorted(lines(db('dependencies', name)).filter(own));
    a.closures[name] = sorted(lines(db('all-dependencies', name)).filter((n) => own(n) && n !== name));
    a.reverseClosures[name] = sorted(lines(db('-d', 'all-dependencies', name)).filter((n) => own(n) && n !== name));
    if (type === 'longrun') a.servicedirs[name] = readTree(path.join(compiled, 'servicedirs', name));
    else a.scripts[name] = { up: db('-u', 'script', name), down: db('-d', 'script', name) };
  }
  return a;
}
