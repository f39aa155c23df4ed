// The README is the front door and docs/ holds one page per topic: every page is linked from the
// README, and every relative link in them (a file, or a heading on a page) leads somewhere.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.md')).map((name) => join('docs', name))];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
const anchorOf = (heading: string) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');

/** The page's text without its fenced code blocks, where `#` lines and brackets are code. */
const prose = (text: string) => text.replace(/^```[\s\S]*?^```/gm, '');

const anchorsOf = (page: string) =>
  new Set(
    prose(readFileSync(join(ROOT, page), 'utf8'))
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => anchorOf(line.replace(/^#+ /, ''))),
  );

const linksOf = (page: string) => [...prose(readFileSync(join(ROOT, page), 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]).filter((target) => !/^[a-z]+:/.test(target));

describe('the README and docs/', () => {
  it('links every page of docs/ from the README, and every runbook from the runbooks\' index', () => {
    const linked = new Set(linksOf('README.md').map((target) => normalize(target.split('#')[0])));
    const runbooks = new Set(linksOf('docs/runbooks/index.md').map((target) => normalize(join('docs/runbooks', target.split('#')[0]))));
    const isRunbook = (page: string) => page.startsWith(join('docs', 'runbooks')) && !page.endsWith('index.md');
    expect(PAGES.filter((page) => page !== 'README.md' && !isRunbook(page) && !linked.has(page))).toEqual([]);
    expect(PAGES.filter((page) => isRunbook(page) && !runbooks.has(page))).toEqual([]);
  });

  it.each(PAGES)('%s: every relative link leads to a file, and every #anchor to a heading of it', (page) => {
    const broken = linksOf(page).filter((target) => {
      const [file, anchor] = target.split('#');
      const path = file ? normalize(join(dirname(page), file)) : page;
      if (!existsSync(join(ROOT, path))) return true;
      return anchor !== undefined && path.endsWith('.md') && !anchorsOf(path).has(anchor);
    });
    expect(broken).toEqual([]);
  });

  it('keeps the README a front door (the depth lives in docs/)', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThan(250);
  });
});
