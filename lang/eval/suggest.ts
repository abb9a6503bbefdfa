// "Did you mean" suggestions, as Terraform makes them: the closest candidate by edit distance, if
// it is close enough to be a plausible typo (distance < 3, as in Terraform's nameSuggestion).
// Edit distance misses a shortened word (`notify_fd` for `notification_fd` is 7 edits away), so
// failing a typo, a name whose words each start like the candidate's is suggested too, when only
// one candidate fits.

export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + cost);
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}

export function suggest(given: string, candidates: Iterable<string>): string | undefined {
  const all = [...candidates];
  let best: string | undefined;
  let bestDist = 3;
  for (const c of all) {
    const d = editDistance(given, c);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  if (best !== undefined) return best;
  const shortened = all.filter((c) => sameWordsShortened(given, c));
  return shortened.length === 1 ? shortened[0] : undefined;
}

/** The shortest start two words must share to be one word shortened: `notif` of notify/notification. */
const SHARED_START = 4;

/** `notify_fd` and `notification_fd`: as many words, each equal or starting the same way. */
function sameWordsShortened(given: string, candidate: string): boolean {
  const a = given.split(/[_.-]/);
  const b = candidate.split(/[_.-]/);
  if (a.length !== b.length || given === candidate) return false;
  return a.every((w, i) => {
    const v = b[i] as string;
    if (w === v) return true;
    let n = 0;
    while (n < w.length && n < v.length && w.charCodeAt(n) === v.charCodeAt(n)) n++;
    return n >= SHARED_START;
  });
}

/** ` Did you mean "x"?` or the empty string, ready to append to a diagnostic's detail. */
export function didYouMean(given: string, candidates: Iterable<string>): string {
  const s = suggest(given, candidates);
  return s === undefined ? '' : ` Did you mean "${s}"?`;
}
