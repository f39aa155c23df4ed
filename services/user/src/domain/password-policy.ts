// The password rule for sign-up: 10 to 200 characters, and not guessable, as zxcvbn estimates it
// (score 3 of 4: "safely unguessable", about 10^8 guesses or more; common passwords, words,
// keyboard runs, dates and the rider's own name or address score low). NIST SP 800-63B asks for a
// length floor and a check against known passwords rather than composition rules; this is both.
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { invalidArgument } from '../../../platform/src/errors';

const MIN_SCORE = 3;
let estimator: ZxcvbnFactory | undefined;

/**
 * Loaded and built on the first sign-up, not at start: the dictionaries take about a quarter of a
 * second and some 15 MB, which a user-service replica that never sees a sign-up should not pay.
 */
function zxcvbn(): ZxcvbnFactory {
  if (!estimator) {
    /* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
    const { ZxcvbnFactory: Factory } = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    const english = require('@zxcvbn-ts/language-en') as typeof import('@zxcvbn-ts/language-en');
    /* eslint-enable @typescript-eslint/no-require-imports */
    estimator = new Factory({
      dictionary: { ...common.dictionary, ...english.dictionary },
      graphs: common.adjacencyGraphs,
      translations: english.translations,
    });
  }
  return estimator;
}

/** Throws INVALID_ARGUMENT saying what to change when the password is too easy to guess. */
export function assertStrongPassword(password: string, personal: { email: string; displayName: string }): void {
  const inputs = [personal.email, personal.email.split('@')[0], ...personal.displayName.split(/\s+/), 'ecowheels'].filter((input) => input.length >= 3);
  const result = zxcvbn().check(password, inputs);
  if (result.score >= MIN_SCORE) return;
  const advice = [result.feedback.warning, ...result.feedback.suggestions].filter(Boolean).join(' ');
  throw invalidArgument(`password is too easy to guess${advice ? `: ${advice}` : ''}; a few uncommon words together make a strong one`);
}
