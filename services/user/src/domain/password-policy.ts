// The password rule for sign-up, after NIST SP 800-63B: a length floor and ceiling (10 to 200
// characters, any characters, no composition rules), and no password an attacker tries early:
// - the whole password must be hard to guess, as zxcvbn estimates it (10^8 guesses or more; its
//   dictionaries of common and breached passwords, words, names, keyboard runs, dates), with the
//   rider's own name and address and the service's name as words an attacker knows too;
// - and what is left once the usual decorations are taken off (digits and symbols at either end,
//   separators, case, one part repeated) must be more than one common word (10^5 guesses): "Summer2026!!",
//   "letmein!letmein", "ecowheels-ecowheels" or a repeat of the rider's name are among the first
//   guesses, whatever zxcvbn makes of their length.
// The estimate reads at most the first 64 characters and tries at most 4 l33t substitutions, so its
// work is bounded (about 50 ms here, against seconds for 200 unbounded characters); the service runs
// it off the event loop besides (workers/password-strength.ts).
import type { ZxcvbnFactory } from '@zxcvbn-ts/core';

/** What the rider told us at sign-up: an attacker who targets them knows it too. */
export interface PersonalWords {
  email: string;
  displayName: string;
}

/** Characters of the password the estimate reads; more would cost much more and change little. */
export const JUDGED_PREFIX = 64;
const MIN_GUESSES_LOG10 = 8;
const MIN_CORE_GUESSES_LOG10 = 5;
const SERVICE_WORDS = ['ecowheels', 'eco wheels', 'ecowheel', 'wheels'];

let estimator: ZxcvbnFactory | undefined;

/**
 * Loaded and built on the first check, not with the module: the dictionaries take about a quarter
 * of a second, and only the password thread (workers/password-strength.ts, which checks once as it
 * starts) needs them, never the service's main thread.
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
      maxLength: JUDGED_PREFIX,
      l33tMaxSubstitutions: 4,
    });
  }
  return estimator;
}

/** The words an attacker who targets this rider tries first: their name, their address, ours. */
export function contextWords(personal: PersonalWords): string[] {
  const email = personal.email.toLowerCase();
  const [local, domain = ''] = email.split('@');
  const name = personal.displayName.toLowerCase();
  const words = [email, local, ...local.split(/[._+-]+/), domain.split('.')[0], name, name.replace(/\s+/g, ''), ...name.split(/\s+/), ...SERVICE_WORDS];
  return [...new Set(words)].filter((word) => word.length >= 3);
}

/**
 * The part an attacker must really guess: lower case, digits and symbols at the ends and separators
 * taken off, and one copy of a part repeated.
 */
export function passwordCore(password: string): string {
  const core = password
    .slice(0, JUDGED_PREFIX)
    .toLowerCase()
    .replace(/^[^\p{L}]+|[^\p{L}]+$/gu, '')
    .replace(/[\s._\-+*!?@#$%^&=~|/\\,;:'"`]+/g, '');
  const repeated = /^(.+?)\1+$/u.exec(core);
  return repeated ? repeated[1] : core;
}

/** Why the password is refused, saying what to change; undefined when it is strong enough. */
export function passwordProblem(password: string, personal: PersonalWords): string | undefined {
  const words = contextWords(personal);
  const whole = zxcvbn().check(password, words);
  if (whole.guessesLog10 < MIN_GUESSES_LOG10) {
    const advice = [whole.feedback.warning, ...whole.feedback.suggestions].filter(Boolean).join(' ');
    return `password is too easy to guess${advice ? `: ${advice}` : ''}; a few uncommon words together make a strong one`;
  }
  const core = passwordCore(password);
  if (core.length > 0 && zxcvbn().check(core, words).guessesLog10 < MIN_CORE_GUESSES_LOG10) {
    const personalPart = words.some((word) => core.includes(word.replace(/\s+/g, '')));
    return personalPart
      ? 'password is too easy to guess: it is built from your name, your email address or the service\'s name; a few uncommon words together make a strong one'
      : 'password is too easy to guess: a common word with digits, symbols or a repeat added is among the first guesses; a few uncommon words together make a strong one';
  }
  return undefined;
}
