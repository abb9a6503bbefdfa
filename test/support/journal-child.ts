import { JournalWriter } from '../../state/journal.js';

// Appends journal records until killed, printing each seq once its append has resolved (that
// is, once it is promised durable), for the crash test in test/state/journal.test.ts. Appends are
// issued several at a time so that kills also land in the middle of grouped writes.
const dir = process.argv[2] as string;
const j = await JournalWriter.open(dir, { foldedSeq: 0 });
for (let i = 0; ; i += 4) {
  const batch = Array.from({ length: 4 }, (_, k) =>
    j.append({ type: 'step-end', step_id: String(i + k), action: 'start', service: `svc${i + k}`, outcome: 'ok', error: 'x'.repeat((i + k) % 300) }),
  );
  for (const r of await Promise.all(batch)) process.stdout.write(`${r.seq}\n`);
}
