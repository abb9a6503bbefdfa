import { expect, test } from '@jest/globals';
import { blockAddress, findByAddress, formatAddress, instanceName, matchesFilter, meansService, parseAddress } from '../../lang/address.js';

test('an address formats as the source writes it, and parses back to the same service name', () => {
  expect(formatAddress('longrun', 'web')).toBe('longrun.web');
  expect(formatAddress('longrun', 'getty', 'tty1')).toBe('longrun.getty["tty1"]');
  expect(formatAddress('oneshot', undefined)).toBe('oneshot');
  expect(instanceName('getty', 'tty1')).toBe('getty@tty1');
  expect(parseAddress('longrun.getty["tty1"]')).toEqual({ type: 'longrun', label: 'getty', key: 'tty1', name: 'getty@tty1', address: 'longrun.getty["tty1"]' });
  expect(parseAddress('bundle.net')).toEqual({ type: 'bundle', label: 'net', name: 'net', address: 'bundle.net' });
  for (const a of ['oneshot.mount', 'longrun.a-b_c["k.1"]']) {
    const p = parseAddress(a)!;
    expect(formatAddress(p.type, p.label, p.key)).toBe(a);
  }
});

test('anything but an address of the kinds asked for is not one', () => {
  for (const t of ['web', 'getty@tty1', 'longrun.', 'service.web', 'longrun.web["a/b"]', 'longrun.web[tty1]', 'longrun.web["x"].y']) expect(parseAddress(t)).toBeUndefined();
  expect(parseAddress('bundle.net', ['longrun', 'oneshot'])).toBeUndefined();
});

test('a block address is an address without its key', () => {
  expect(blockAddress('longrun.getty["tty1"]')).toBe('longrun.getty');
  expect(blockAddress('longrun.getty')).toBeUndefined();
});

test('a target means a service by its address, its name or its for_each block; a filter also by a kind or a prefix', () => {
  const tty1 = { address: 'longrun.getty["tty1"]', name: 'getty@tty1' };
  for (const t of ['longrun.getty["tty1"]', 'getty@tty1', 'longrun.getty']) expect(meansService(t, tty1)).toBe(true);
  for (const t of ['longrun', 'getty', 'longrun.getty["tty2"]']) expect(meansService(t, tty1)).toBe(false);
  for (const f of ['longrun', 'longrun.getty', 'longrun.getty["tty1"]', 'getty@tty1']) expect(matchesFilter(f, tty1)).toBe(true);
  for (const f of ['oneshot', 'longrun.get', 'getty']) expect(matchesFilter(f, tty1)).toBe(false);
});

test('an entry is found by its name first, then by its address, never through the prototype', () => {
  const entries = { web: { address: 'longrun.web' }, 'getty@tty1': { address: 'longrun.getty["tty1"]' } };
  expect(findByAddress(entries, 'web')).toBe(entries.web);
  expect(findByAddress(entries, 'longrun.getty["tty1"]')).toBe(entries['getty@tty1']);
  expect(findByAddress(entries, 'constructor')).toBeUndefined();
  expect(findByAddress(entries, 'longrun.nope')).toBeUndefined();
});
