import { readFileSync } from 'node:fs';

// The version comes from package.json so that there is one place to bump it.
let cached: string | undefined;
export function rcformVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    cached = pkg.version;
  }
  return cached;
}
