// `npm test`: the static checks (tsc for the workloads and tests, tsc for the web pages, eslint) in
// one lane beside Jest, instead of before it. On two cores Jest alone leaves part of a core idle
// while its tests wait on processes and sockets; the checks fill it, and the whole command ends
// about 30 s sooner. A check's output is printed whole when it ends, so it never interleaves with
// Jest's. A failed check stops Jest at once and fails the command: the tests of code that does not
// type-check or lint are not worth waiting for.
import { spawn } from 'node:child_process';

// Types are checked by TypeScript 7, the native compiler (the typescript-7 package): about 6 s of
// CPU for the workloads and tests where 5.9 took 19. typescript-eslint still needs 5.9's JavaScript
// API, which 7 does not have; the package named typescript stays 5.9 for it. Both put a `tsc` on
// the PATH, so the checker is named by its path here.
const TSC = 'node_modules/typescript-7/bin/tsc';
const CHECKS = [
  [TSC, ['-p', '.']],
  [TSC, ['-p', 'web']],
  ['eslint', ['.']],
];
const JEST = ['--experimental-vm-modules', '--disable-warning=ExperimentalWarning', 'node_modules/jest/bin/jest.js', ...process.argv.slice(2)];

/** Runs one check with its output kept, resolving to whether it passed. */
function check([command, args]) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
    child.once('error', (error) => {
      output.push(Buffer.from(`${error.message}\n`));
    });
    child.once('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(0);
      const passed = code === 0;
      process.stdout.write(`${passed ? 'passed' : 'FAILED'}: ${command} ${args.join(' ')} (${seconds} s)\n${Buffer.concat(output).toString()}`);
      resolve(passed);
    });
  });
}

// Jest leads its own process group, so a failed check can stop it with every worker it started.
const jest = spawn(process.execPath, JEST, { stdio: 'inherit', detached: true });
const jestEnded = new Promise((resolve) => jest.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));

/** Signals Jest and every worker it started (its process group). */
function signalJest(signal) {
  try {
    process.kill(-jest.pid, signal);
  } catch {
    // Jest has ended already.
  }
}

// Ctrl-C or a CI cancel reaches this process; pass it on to Jest's group, which is not in ours.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(signal, () => signalJest(signal));

let checksPassed = true;
for (const each of CHECKS) {
  if (!(await check(each))) {
    checksPassed = false;
    break;
  }
}
if (!checksPassed) {
  process.stdout.write('npm test: a static check failed; stopping the tests\n');
  signalJest('SIGTERM');
}
const jestCode = await jestEnded;
process.exitCode = checksPassed ? jestCode : 1;
