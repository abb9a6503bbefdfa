import { expect, test } from '@jest/globals';
import { childrenOf, type AstNode } from '../../../lang/hcl/ast.js';
import { parseHcl } from '../../../lang/hcl/parser.js';

// childrenOf is the one definition of the tree's shape that every walker uses: from a file's body
// it reaches every kind of node, each child inside its parent's range, in source order.

const SOURCE = `
a = true
b = 1.5
c = "x \${v} %{ if v }y%{ else }z%{ endif } %{ for i in l }\${i}%{ endfor }"
d = o.attr[0]
e = l[*].name
f = max(1, 2)
g = [1, 2]
h = { k = 1, (k2) = 2 }
i = 1 + -2
j = v ? 1 : 2
k = [for x in l : x if x != null]
m = { for k, x in l : k => x... }
n = (1)
block "label" {
  inner = "y"
}
`;

function walk(root: AstNode): AstNode[] {
  const out: AstNode[] = [];
  const stack = [root];
  while (stack.length) {
    const n = stack.pop() as AstNode;
    out.push(n);
    const kids = childrenOf(n);
    for (const k of kids) {
      expect(k.range.start.byte).toBeGreaterThanOrEqual(n.range.start.byte);
      expect(k.range.end.byte).toBeLessThanOrEqual(n.range.end.byte);
    }
    for (let i = 1; i < kids.length; i++) expect((kids[i] as AstNode).range.start.byte).toBeGreaterThanOrEqual((kids[i - 1] as AstNode).range.start.byte);
    stack.push(...kids);
  }
  return out;
}

test('from a body, childrenOf reaches every kind of node, each inside its parent in source order', () => {
  const r = parseHcl(SOURCE, 'all.hcl');
  expect(r.diagnostics).toEqual([]);
  const kinds = new Set(walk(r.file.body).map((n) => n.kind));
  expect([...kinds].sort()).toEqual([
    'Attribute', 'Binary', 'Block', 'Body', 'Conditional', 'For', 'FunctionCall', 'GetAttr', 'Index', 'Literal', 'Number',
    'Object', 'ObjectKey', 'Parens', 'Splat', 'SplatItem', 'Template', 'TemplateFor', 'TemplateIf', 'TemplateInterp',
    'TemplateLiteral', 'Tuple', 'Unary', 'Variable',
  ]);
});
