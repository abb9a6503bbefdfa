import { expect, test } from '@jest/globals';
import { renderDot, renderMermaid } from '../../../lang/compile/graph.js';
import { buildDb } from '../../support/compiled-fixture.js';

const db = buildDb(
  {
    mount: { type: 'oneshot' },
    db: { type: 'longrun', deps: ['mount'], essential: true },
    'getty@tty1': { type: 'longrun', deps: ['mount'], down: true },
    app: { type: 'longrun', deps: ['db', 'mount'], producer_for: 'app-log' },
    'app-log': { type: 'longrun', consumer_for: ['app'] },
  },
  { web: ['app', 'db'] },
);

test('DOT: one node per service and bundle, edges from a service to what it needs, in name order', () => {
  expect(renderDot(db)).toBe(
    [
      'digraph rcform {',
      '  rankdir=LR;',
      '  node [fontname="Helvetica", fontsize=11];',
      '',
      '  "app" [label="app\\nlongrun", shape=box, style="rounded"];',
      '  "app-log" [label="app-log\\nlongrun", shape=box, style="rounded"];',
      '  "db" [label="db\\nlongrun", shape=box, style="rounded,bold"];',
      '  "getty@tty1" [label="getty@tty1\\nlongrun", shape=box, style="rounded,dashed"];',
      '  "mount" [label="mount\\noneshot", shape=ellipse];',
      '  "web" [label="web\\nbundle", shape=folder, style="dashed"];',
      '',
      '  "app" -> "db";',
      '  "app" -> "mount";',
      '  "app" -> "app-log" [style=dotted, label="pipe"];',
      '  "db" -> "mount";',
      '  "getty@tty1" -> "mount";',
      '  "web" -> "app" [style=dashed, arrowhead=odiamond];',
      '  "web" -> "db" [style=dashed, arrowhead=odiamond];',
      '}',
      '',
    ].join('\n'),
  );
});

test('Mermaid: numbered ids so any service name is safe, real names as labels', () => {
  const text = renderMermaid(db);
  expect(text.split('\n').slice(0, 7)).toEqual([
    'flowchart LR',
    '  n0("app")',
    '  n1("app-log")',
    '  n2("db")',
    '  n3("getty@tty1")',
    '  n4(["mount"])',
    '  n5[/"web"/]',
  ]);
  expect(text).toContain('  n0 --> n2\n  n0 --> n4\n  n0 -. pipe .-> n1\n');
  expect(text).toContain('  n5 -.-> n0\n');
  expect(text).toContain('  class n4 oneshot\n');
  expect(text).toContain('  class n3 down\n');
  expect(text).toContain('  class n2 essential\n');
});

test('the rendering does not depend on the order services appear in the database', () => {
  const shuffled = { ...db, services: Object.fromEntries(Object.entries(db.services).reverse()), bundles: db.bundles };
  expect(renderDot(shuffled)).toBe(renderDot(db));
  expect(renderMermaid(shuffled)).toBe(renderMermaid(db));
});

test('labels that would break the syntax are escaped', () => {
  const odd = buildDb({ 'a"b': { type: 'longrun' }, 'x\\y': { type: 'longrun', deps: ['a"b'] } });
  const dot = renderDot(odd);
  expect(dot).toContain('"x\\\\y" -> "a\\"b";');
  expect(renderMermaid(odd)).toContain('n0("a#quot;b")');
});
