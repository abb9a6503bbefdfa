#!/usr/bin/env node
// Writes the pull-request comment of examples/ci/rcform-plan.yml to stdout, from what the
// workflow's steps left in $OUT: validate.txt, fmt.txt, plan.md (rcform show --markdown),
// plan.txt and plan-errors.txt, and the steps' outcomes in the environment.
//
// The comment starts with a hidden marker naming the directory, by which the workflow finds it
// again and edits it on every push. It names the directory and the commit, and says how to apply.
// GitHub refuses a comment body over 65,536 characters: a longer plan keeps its summary (counts,
// warnings) and as much of the plan as fits, and says that the whole plan is in the artifact.

import fs from 'node:fs';
import path from 'node:path';

export const COMMENT_LIMIT = 65536;

const env = process.env;
const out = env.OUT ?? 'rcform-out';
const dir = env.SERVICES ?? 'services';
const sha = (env.HEAD_SHA || env.GITHUB_SHA || 'unknown').slice(0, 12);
const read = (name) => {
  try {
    return fs.readFileSync(path.join(out, name), 'utf8');
  } catch {
    return undefined;
  }
};

export const marker = (d) => `<!-- rcform-plan: ${d.replace(/-->/g, '')} -->`;

/** A fence no backtick run inside `text` can close. */
function fenced(text, info = '') {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const f = '`'.repeat(longest + 1);
  return `${f}${info}\n${text.replace(/\s+$/, '')}\n${f}`;
}

/** `text` cut at a line boundary to at most `budget` characters, and how many lines were kept. */
function cutLines(text, budget) {
  const lines = text.split('\n');
  let used = 0;
  let kept = 0;
  for (const l of lines) {
    if (used + l.length + 1 > budget) break;
    used += l.length + 1;
    kept++;
  }
  return { text: lines.slice(0, kept).join('\n'), kept, total: lines.length };
}

function artifactLine() {
  const url = env.ARTIFACT_URL;
  return url ? `the whole plan is in the [rcform-plan artifact](${url})` : 'the whole plan is in the rcform-plan artifact of this run';
}

function howToApply() {
  return [
    '',
    '---',
    `To apply once this is merged, on the machine, from a checkout of \`${sha}\`:`,
    '',
    '```sh',
    `rcform plan ${dir} --out ${path.basename(dir)}.plan   # against the machine's live services`,
    `rcform apply ${path.basename(dir)}.plan`,
    '```',
  ];
}

/** The comment for a failed step: its diagnostics, as much of them as fits. */
function failure(title, text, hint) {
  const head = [marker(dir), `### rcform: ${title} in \`${dir}\` at \`${sha}\``, '', hint, ''];
  const tail = ['', 'Fix it and push: this comment is updated.'];
  const fixed = head.join('\n').length + tail.join('\n').length + 40;
  const body = text.trim() === '' ? '(no output)' : text;
  const cut = cutLines(body, COMMENT_LIMIT - fixed - 200);
  const shown = cut.kept < cut.total ? `${cut.text}\n… ${cut.total - cut.kept} more lines; ${artifactLine().replace('plan', 'output')}` : body;
  return [...head, fenced(shown), ...tail].join('\n') + '\n';
}

/** The plan comment: marker, where and what, rcform's markdown, how to apply; cut to the limit. */
function planComment(md) {
  const head = [marker(dir), `**Directory** \`${dir}\` · **commit** \`${sha}\``, ''];
  const fmt = read('fmt.txt');
  const notes = env.FMT_OUTCOME === 'failure' ? ['', ':warning: `rcform fmt --check` found files not in canonical style; run `rcform fmt` on them:', '', fenced(fmt ?? '', 'diff')] : [];
  const tail = [...notes, ...howToApply()];
  const whole = [...head, md.trimEnd(), ...tail].join('\n') + '\n';
  if (whole.length <= COMMENT_LIMIT) return whole;

  // Over the limit: keep everything before the folded plan (title, counts, warnings), then as
  // much of the plan as fits, then the notice and how to apply.
  const at = md.indexOf('<details>');
  const summary = (at >= 0 ? md.slice(0, at) : '').trimEnd();
  // The plan as rcform's markdown folds it (diff-coloured), else the human plan.
  const fence = /\n```diff\n([\s\S]*)\n```\n/.exec(md);
  const plan = fence ? (fence[1] ?? '') : (read('plan.txt') ?? md);
  const notice = (kept, total) => `:scissors: The plan is longer than a comment may be (${COMMENT_LIMIT.toLocaleString('en')} characters): ${kept} of its ${total} lines are shown; ${artifactLine()}.`;
  const frame = [...head, summary, '', notice(999999, 999999), '', '<details><summary>Show the start of the plan</summary>', '', '', '</details>', ...tail].join('\n').length + 20;
  const cut = cutLines(plan, COMMENT_LIMIT - frame - 10);
  return [...head, summary, '', notice(cut.kept, cut.total), '', '<details><summary>Show the start of the plan</summary>', '', fenced(cut.text, 'diff'), '', '</details>', ...tail].join('\n') + '\n';
}

export function comment() {
  if (env.VALIDATE_OUTCOME === 'failure') {
    return failure('validation failed', read('validate.txt') ?? '', '`rcform validate` found errors; no plan was made:');
  }
  if (env.PLAN_OUTCOME === 'failure') {
    return failure('the plan failed', [read('base-errors.txt'), read('plan-errors.txt')].filter(Boolean).join('\n'), '`rcform plan` could not make a plan:');
  }
  const md = read('plan.md');
  if (md === undefined) return failure('no plan', '', 'An earlier step failed before the plan was made; see the run\'s log.');
  return planComment(md);
}

process.stdout.write(comment());
