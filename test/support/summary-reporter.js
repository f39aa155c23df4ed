// Ends every test run with one plain line, "N passed, N failed, N skipped", that any CI can read,
// followed by why tests were skipped (a suite that needs a server names it: required-server.ts),
// and the time each layer of test/ took (its files' run times added up; the workers run files side
// by side, so the layers add up to more than the wall time), slowest first: where to look when
// `npm test` gets slow.
const SKIP_MARK = '[skipped: ';

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    process.stdout.write(`\n${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`);
    const reasons = new Map();
    for (const file of results.testResults) {
      for (const test of file.testResults) {
        if (test.status !== 'pending' && test.status !== 'todo') continue;
        const marked = test.ancestorTitles.find((title) => title.includes(SKIP_MARK));
        const reason = marked ? marked.slice(marked.indexOf(SKIP_MARK) + SKIP_MARK.length, -1) : 'marked to skip in the test file';
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
    }
    for (const [reason, count] of reasons) process.stdout.write(`  ${count} skipped: ${reason}\n`);
    const layers = new Map();
    for (const file of results.testResults) {
      const layer = /[\\/]test[\\/]([^\\/]+)[\\/]/.exec(file.testFilePath)?.[1] ?? 'other';
      const seconds = (file.perfStats.end - file.perfStats.start) / 1000;
      const entry = layers.get(layer) ?? { seconds: 0, files: 0 };
      layers.set(layer, { seconds: entry.seconds + seconds, files: entry.files + 1 });
    }
    const byTime = [...layers.entries()].sort((a, b) => b[1].seconds - a[1].seconds);
    const wall = (Date.now() - results.startTime) / 1000;
    process.stdout.write(`time per layer (files' run times added up; ${wall.toFixed(0)} s of wall time for Jest): ${byTime.map(([layer, { seconds, files }]) => `${layer} ${seconds.toFixed(0)} s (${files})`).join(', ')}\n`);
  }
}
module.exports = SummaryReporter;
