import { errorDiag, type Diagnostic } from '../diagnostic.js';
import type { ServiceDecl } from './model.js';

// What a longrun's service directory must satisfy beyond each attribute's own schema: the
// descriptors s6-supervise hands the process apart, and data/ a tree that can be written.

export function checkServiceDirectories(services: Iterable<ServiceDecl>, diags: Diagnostic[]): void {
  for (const s of services) {
    if (s.type !== 'longrun') continue;
    const lock = s.config['lock_fd'];
    if (lock !== undefined && lock === s.config['notification_fd']) {
      // s6-rc-compile refuses the same: "has the same value for notification-fd and lock-fd".
      diags.push(errorDiag('Conflicting descriptors', `lock_fd and notification_fd are both ${String(lock)}: the lock and the readiness pipe need a descriptor each.`, s.attrRanges.get('lock_fd')));
    }
    const data = s.config['data'];
    if (data && typeof data === 'object') {
      const paths = new Set(Object.keys(data));
      for (const p of [...paths].sort()) {
        const slash = p.lastIndexOf('/');
        for (let i = slash; i > 0; i = p.lastIndexOf('/', i - 1)) {
          const dir = p.slice(0, i);
          if (paths.has(dir)) {
            diags.push(errorDiag('Conflicting data paths', `data has both a file "${dir}" and "${p}", which needs "${dir}" to be a directory.`, s.attrRanges.get('data')));
            break;
          }
        }
      }
    }
  }
}
