import fs from 'node:fs';

// A uid as a person reads it in an error message: its name from /etc/passwd, or the number alone.

let byUid: Map<number, string> | undefined;

export function accountName(uid: number): string {
  if (!byUid) {
    byUid = new Map();
    try {
      for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
        const f = line.split(':');
        if (f.length > 2 && f[0] && /^\d+$/.test(f[2] as string) && !byUid.has(Number(f[2]))) byUid.set(Number(f[2]), f[0]);
      }
    } catch {
      // No passwd file: numbers only.
    }
  }
  return byUid.get(uid) ?? `uid ${uid}`;
}

/** "alice (uid 1000)", or "uid 1000" for a uid without a name. */
export function userLabel(uid: number): string {
  const name = accountName(uid);
  return name === `uid ${uid}` ? name : `${name} (uid ${uid})`;
}
