// CI reads a plain "N passed, N failed" line to tell a real run from one that ran nothing;
// jest's own summary is not in that form, so this reporter adds it as the last line.
class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const passed = results.numPassedTests;
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\njest: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}
module.exports = ClosingLineReporter;
