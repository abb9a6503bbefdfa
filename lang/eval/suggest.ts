// "Did you mean" suggestions, as Terraform makes them: the closest candidate by edit distance, if
// it is close enough to be a plausible typo (distance < 3, as in Terraform's nameSuggestion).

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
  let best: string | undefined;
  let bestDist = 3;
  for (const c of candidates) {
    const d = editDistance(given, c);
    if (d < bestDist) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

/** ` Did you mean "x"?` or the empty string, ready to append to a diagnostic's detail. */
export function didYouMean(given: string, candidates: Iterable<string>): string {
  const s = suggest(given, candidates);
  return s === undefined ? '' : ` Did you mean "${s}"?`;
}
