import os from 'node:os';

// Signal names as the compiled database writes them ("SIGTERM"); also accepts "TERM" and numbers.

export function signalName(sig: string): NodeJS.Signals | undefined {
  const table = os.constants.signals as Record<string, number>;
  const upper = sig.trim().toUpperCase();
  if (/^\d+$/.test(upper)) {
    const n = Number(upper);
    return Object.keys(table).find((k) => table[k] === n) as NodeJS.Signals | undefined;
  }
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  return name in table ? (name as NodeJS.Signals) : undefined;
}

export function signalNumber(sig: NodeJS.Signals | string): number {
  return (os.constants.signals as Record<string, number>)[sig] ?? 0;
}
