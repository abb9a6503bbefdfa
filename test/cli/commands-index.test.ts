import { expect, test } from '@jest/globals';
import { commandEntries } from '../../cli/commands/index.js';

// The dispatcher matches argv against the names in cli/commands/index.ts before it loads the
// command's module: each entry must load the command of that very name, and names are unique.
test('every entry of the command index loads the command it is named after', async () => {
  for (const e of commandEntries) expect([e.name, (await e.load()).name]).toEqual([e.name, e.name]);
  expect(new Set(commandEntries.map((e) => e.name)).size).toBe(commandEntries.length);
});
