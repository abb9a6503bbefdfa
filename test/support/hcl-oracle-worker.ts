import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { oracleParse, type OracleResult } from './hcl-oracle.js';

// Runs the (slow) oracle over a share of the corpus in a worker thread, so that the conformance
// test can use a second core while the main thread runs our parser.

const files = (workerData as { files: string[] }).files;
const results: [string, OracleResult][] = files.map((f) => [f, oracleParse(fs.readFileSync(f, 'utf8'))]);
parentPort!.postMessage(results);
