// The workloads' Dockerfile as the tests read it (there is no engine here to build it): its text, its
// stages, the COPY lines that take from the build context, and what its dockerignore leaves out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DOCKER = join(__dirname, '..', '..', 'mesh-config', 'docker');

export const dockerfile = readFileSync(join(DOCKER, 'Dockerfile'), 'utf8');

/** Each stage's text after its FROM, in order. */
export const stages = dockerfile.split(/^FROM /m).slice(1);

/** `COPY a b dest` lines that take from the build context (not --from another stage), in order. */
export const contextCopies = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].map((match) => {
  const words = match[1].trim().split(/\s+/);
  return { sources: words.slice(0, -1), destination: words.at(-1)! };
});

/** The names the dockerignore leaves out of the build context, wherever they lie (its patterns are names, or `**`/names). */
export const ignoredNames = readFileSync(join(DOCKER, 'Dockerfile.dockerignore'), 'utf8')
  .split('\n')
  .filter((line) => line && !line.startsWith('#'))
  .map((pattern) => pattern.replace('**/', ''));
