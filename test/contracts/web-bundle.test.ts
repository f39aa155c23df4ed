// The explorer's and the dashboard's bundles are generated (`npm run web`) and committed, so the
// gateway serves them without a build step; this fails when they are missing or older than their
// sources and libraries, as the supergraph's and the manifests' checks do.
import { stalePages } from '../../web/build';

describe('the web pages bundle', () => {
  it('is committed as `npm run web` builds it now', async () => {
    expect(await stalePages()).toEqual([]);
  }, 60_000);
});
