// The raw zone in a folder: a file that could not be opened (EMFILE, ENOSPC; here a directory in
// its place, which makes the open fail the same way) fails the write that needed it, and the next
// write opens it again, rather than failing for the rest of the hour.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileZoneStore } from '../../services/telematics/src/zones/file-zone-store';
import { partitionOf } from '../../services/telematics/src/zones/zone-store';

describe('the raw zone in a folder', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'ecowheels-zone-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('opens a file again after an open failed, instead of failing every write of that hour', async () => {
    const zone = new FileZoneStore(root, 'writer-1');
    const at = new Date();
    const file = join(root, partitionOf('raw', at), 'writer-1.ndjson');
    mkdirSync(file, { recursive: true }); // the open fails (EISDIR), as it would on EMFILE or ENOSPC
    await expect(zone.write([{ zone: 'raw', at, line: '{"n":1}' }])).rejects.toMatchObject({ code: 'EISDIR' });
    rmSync(file, { recursive: true });
    await zone.write([{ zone: 'raw', at, line: '{"n":2}' }]);
    await zone.write([{ zone: 'raw', at, line: '{"n":3}' }]);
    expect(readFileSync(file, 'utf8')).toBe('{"n":2}\n{"n":3}\n');
  });
});
