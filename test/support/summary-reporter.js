// Ends every test run with one plain line, "N passed, N failed, N skipped", that any CI can read,
// followed by why tests were skipped: a suite that needs a server names it (required-server.ts).
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
  }
}
module.exports = SummaryReporter;
