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

/** Where rcform runs, as `terraform version` says `on linux_amd64`. */
export function platform(): string {
  return `${process.platform}_${process.arch}`;
}

/** One line for logs and bug reports: the version, the platform and the Node.js that runs it. */
export function versionLine(): string {
  return `rcform v${rcformVersion()} on ${platform()}, Node.js ${process.version}`;
}
