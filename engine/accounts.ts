import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { UserError } from '../lang/user-error.js';

// user/group → uid/gid. Node has no getpwnam, so read the account databases the way NSS's
// "files" source does, and ask getent(1) for names held elsewhere (LDAP, systemd-homed).

export interface Account {
  uid?: number;
  gid?: number;
}

export class AccountError extends UserError {
  constructor(message: string) {
    super('environment', message);
    this.name = 'AccountError';
  }
}

function lookup(db: 'passwd' | 'group', name: string): string[] | undefined {
  try {
    for (const line of fs.readFileSync(`/etc/${db}`, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name) return f;
    }
  } catch {
    // No file: fall through to getent.
  }
  const r = spawnSync('getent', [db, name], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout) return r.stdout.trim().split(':');
  return undefined;
}

const NUMERIC = /^\d+$/;

/** Resolves a service's user and group; throws AccountError naming the unknown account. */
export function resolveAccount(user: string | undefined, group: string | undefined): Account {
  const out: Account = {};
  if (user !== undefined) {
    if (NUMERIC.test(user)) out.uid = Number(user);
    else {
      const pw = lookup('passwd', user);
      if (!pw) throw new AccountError(`unknown user "${user}"`);
      out.uid = Number(pw[2]);
      // Like s6-setuidgid: the user's primary group unless a group is given.
      out.gid = Number(pw[3]);
    }
  }
  if (group !== undefined) {
    if (NUMERIC.test(group)) out.gid = Number(group);
    else {
      const gr = lookup('group', group);
      if (!gr) throw new AccountError(`unknown group "${group}"`);
      out.gid = Number(gr[2]);
    }
  }
  return out;
}

/**
 * Resolves the account and checks that this process may switch to it: only root can, as with
 * s6-setuidgid (setgroups, setgid and setuid to another account all need it). Checked before
 * anything is installed or started, so the error names the account rather than a failed chown or exec.
 */
export function checkAccount(user: string | undefined, group: string | undefined, asUid = process.getuid?.() ?? 0, asGid = process.getgid?.() ?? 0): Account {
  const account = resolveAccount(user, group);
  if (asUid === 0) return account;
  const other = (account.uid !== undefined && account.uid !== asUid) || (account.gid !== undefined && account.gid !== asGid);
  if (other) {
    const who = [user !== undefined ? `user "${user}"` : '', group !== undefined ? `group "${group}"` : ''].filter(Boolean).join(' and ');
    throw new AccountError(`running as ${who} needs root (rcform runs as uid ${asUid}), as s6-setuidgid does`);
  }
  return account;
}
