// What a workload's image holds, and that the system runs from it, without a container engine (there
// is none here): the Dockerfile's steps, on a copy of its build context, then all six processes
// started from what its last stage keeps, as its CMD starts them.
//   - the build context: what each COPY names, less what the dockerignore leaves out;
//   - `npm ci` from the same lockfile: a hard-linked copy of the repository's node_modules, so the
//     test downloads nothing. npm rewrites its own record (node_modules/.package-lock.json) in place,
//     so that one file is copied, not linked: the repository's stays as it is (checked below);
//   - the build stage's RUN line as the Dockerfile has it: the workloads' build with the SBOM, then
//     `npm prune --omit=dev`;
//   - the last stage: only what its `COPY --from=build` lines take (package.json, node_modules, dist);
//   - each process runs `node dist/<main>.js` in that folder (the runtime { image } of
//     launched-service.ts), on a database of its own; a rider signs up and finds a bike through the
//     gateway.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { SERVICE_NAMES } from '../../services/local-stack/src/launched-service';
import { contextCopies, dockerfile, ignoredNames, stages } from '../support/dockerfile';
import { graphql } from '../support/graphql-client';
import { TEST_DIST } from '../support/global-setup';
import { describeWithPostgres } from '../support/postgres';
import { TestStack } from '../support/stack';

const ROOT = join(__dirname, '..', '..');
const finalStage = stages.at(-1)!;
const buildStage = stages.find((stage) => /^\S+ AS build$/m.test(stage))!;
const npmRecord = (modules: string) => join(modules, '.package-lock.json');
const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describeWithPostgres("a workload's image, built and run without an engine", () => {
  // Inside the run's build folder (git, tsc and eslint leave it alone): on the repository's own file
  // system, where node_modules can be hard-linked (a tmpfs /tmp could not take the links).
  const work = mkdtempSync(join(TEST_DIST, 'image-'));
  const app = join(work, 'build'); // the build stage's /app
  const image = join(work, 'image'); // the last stage's /app
  const repositoryRecord = digest(npmRecord(join(ROOT, 'node_modules')));
  let stack: TestStack | undefined;

  afterAll(async () => {
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("builds as the Dockerfile says, and keeps only what the last stage copies", () => {
    mkdirSync(app);
    for (const { sources, destination } of contextCopies) {
      for (const source of sources) {
        const target = destination.endsWith('/') || sources.length > 1 ? join(app, destination, basename(source)) : join(app, destination);
        cpSync(join(ROOT, source), target, { recursive: true, filter: (path) => !ignoredNames.includes(basename(path)) });
      }
    }
    // `npm ci --ignore-scripts` of the dependencies stage, from the same lockfile.
    expect(dockerfile).toMatch(/^RUN npm ci --ignore-scripts/m);
    expect(spawnSync('cp', ['-al', join(ROOT, 'node_modules'), join(app, 'node_modules')]).status).toBe(0);
    rmSync(npmRecord(join(app, 'node_modules')));
    cpSync(npmRecord(join(ROOT, 'node_modules')), npmRecord(join(app, 'node_modules')));

    const run = /^RUN (.+)$/m.exec(buildStage)![1];
    expect(run).toContain('--workloads');
    const built = spawnSync('sh', ['-c', run], { cwd: app, encoding: 'utf8', timeout: 120_000 });
    expect([built.status, built.stderr]).toEqual([0, expect.any(String)]);
    expect(digest(npmRecord(join(ROOT, 'node_modules')))).toBe(repositoryRecord);

    // The last stage: what its COPY --from=build lines take, nothing else.
    const kept = [...finalStage.matchAll(/^COPY --from=build \/app\/(\S+) (\S+)$/gm)].map((match) => match[1]);
    expect(kept.sort()).toEqual(['dist', 'node_modules', 'package.json']);
    mkdirSync(image);
    for (const path of kept) renameSync(join(app, path), join(image, path));
    expect(existsSync(join(image, 'node_modules', 'jest'))).toBe(false); // pruned: no dev dependency
    expect(existsSync(join(image, 'node_modules', 'graphql'))).toBe(true);
    expect(existsSync(join(image, 'dist', 'sbom.cdx.json'))).toBe(true);
    expect(existsSync(join(image, 'dist', 'services', 'local-stack'))).toBe(false); // no launcher in an image
    expect(finalStage).toContain('CMD ["sh", "-c", "exec node \\"dist/${MAIN%.ts}.js\\""]');
  });

  it('runs all six processes from what the image holds: a rider signs up and finds a bike through the gateway', async () => {
    if (!existsSync(join(image, 'dist'))) throw new Error('no image to run: its build failed (the test before says why)');
    stack = await TestStack.start({}, { image });
    for (const name of [...SERVICE_NAMES, 'gateway'] as const) {
      const { pid } = stack.service(name);
      expect([name, readlinkSync(`/proc/${pid}/cwd`), readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').at(-2)]).toEqual([name, image, expect.stringMatching(/^dist\/.+\/main\.js$/)]);
    }
    const clients = stack.clients();
    try {
      const apiKey = (await clients.user.createApiClient({ name: 'Image test app', scopes: [] })).apiKey;
      const bike = (await clients.inventory.registerBike({ model: 'Image bike', location: { latitude: 52.37, longitude: 4.9 }, batteryPercent: 90, stationId: '' })).bike!;
      const url = stack.service('gateway').graphqlUrl;
      // The user service loads its password-strength dictionaries in its first seconds; a sign-up
      // that outwaits its budget meanwhile (a busy machine) is answered SERVICE_UNAVAILABLE, "try
      // again in a few seconds", with no account made. The test does what an app does then.
      const signUpOnce = () =>
        graphql(url, 'mutation ($email: String!, $password: String!) { signUp(email: $email, password: $password, displayName: "Image") { token errors { message } } }', {
          apiKey,
          variables: { email: 'image@example.com', password: 'a long and unusual passphrase 7' },
        });
      let signUp = await signUpOnce();
      for (let retry = 0; retry < 5 && signUp.errors?.[0]?.extensions?.code === 'SERVICE_UNAVAILABLE'; retry += 1) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        signUp = await signUpOnce();
      }
      expect([signUp.errors, signUp.data?.signUp.errors]).toEqual([undefined, []]);
      const near = await graphql(url, '{ bikesNear(lat: 52.37, lon: 4.9, radiusMeters: 500, first: 5) { edges { node { id model } } } }', { apiKey, token: signUp.data!.signUp.token });
      expect(near.errors).toBeUndefined();
      expect(near.data!.bikesNear.edges.map((edge: { node: { id: string; model: string } }) => edge.node)).toEqual([{ id: bike.listingId, model: 'Image bike' }]);
    } finally {
      for (const client of Object.values(clients)) client.close();
    }
  });
});
