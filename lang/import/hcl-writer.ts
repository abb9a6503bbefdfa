// Writing HCL source text: string literals escaped per the HCL native syntax (a quoted string is a
// template, so `${` and `%{` must be doubled to stay literal), heredocs for multi-line text, and
// blocks whose attributes are aligned the way `terraform fmt` aligns them.

/** A quoted HCL string whose value is exactly `s`. */
export function hclString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    const next = s[i + 1];
    if (c === '\\') out += '\\\\';
    else if (c === '"') out += '\\"';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if ((c === '$' || c === '%') && next === '{') out += c + c;
    else if (c < ' ' || c === '\x7f') out += `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return out + '"';
}

/**
 * A heredoc (`<<EOT`) whose value is exactly `s`, when one can express it: heredoc content always
 * ends with a newline and cannot hold a carriage return, so other text gets a quoted string.
 * Heredoc content is a template without backslash escapes: only `${` and `%{` need doubling.
 */
export function hclText(s: string): string {
  if (!s.endsWith('\n') || s.includes('\r') || /[\x00-\x08\x0b-\x1f\x7f]/.test(s)) return hclString(s);
  const lines = s.slice(0, -1).split('\n');
  let marker = 'EOT';
  for (let n = 1; lines.some((l) => l.trim() === marker); n++) marker = `EOT${n}`;
  const body = s.replace(/([$%])\{/g, '$1$1{');
  return `<<${marker}\n${body}${marker}`;
}

/** An identifier HCL accepts as an object key or traversal step; anything else gets quoted. */
export function isHclIdentifier(s: string): boolean {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s);
}

export function hclKey(s: string): string {
  return isHclIdentifier(s) ? s : hclString(s);
}

/** A value that is already HCL text (a literal, a list, a reference, a heredoc). */
export type HclAttr = [name: string, value: string];

/**
 * An object constructor, one key per line with aligned `=`. A multi-line value (a heredoc) stands
 * on its own, set apart by blank lines, so no alignment group ever spans it.
 */
export function hclObject(entries: HclAttr[], indent: string): string {
  if (entries.length === 0) return '{}';
  return `{\n${attributeLines(entries.map(([k, v]) => [hclKey(k), v]), indent + '  ')}\n${indent}}`;
}

export function hclBlock(type: string, labels: string[], attrs: HclAttr[], comment?: string): string {
  const head = [type, ...labels.map(hclString)].join(' ');
  const lead = comment ? comment.split('\n').map((l) => `# ${l}`.trimEnd() + '\n').join('') : '';
  if (attrs.length === 0) return `${lead}${head} {\n}\n`;
  return `${lead}${head} {\n${attributeLines(attrs, '  ')}\n}\n`;
}

function attributeLines(attrs: HclAttr[], indent: string): string {
  const groups: HclAttr[][] = [];
  let current: HclAttr[] = [];
  for (const attr of attrs) {
    if (attr[1].includes('\n')) {
      if (current.length) groups.push(current);
      groups.push([attr]);
      current = [];
    } else {
      current.push(attr);
    }
  }
  if (current.length) groups.push(current);
  return groups
    .map((group) => {
      const width = Math.max(...group.map(([k]) => k.length));
      return group.map(([k, v]) => `${indent}${k.padEnd(width)} = ${v}`).join('\n');
    })
    .join('\n\n');
}
