// The raw zone in a folder: a file that could not be opened (EMFILE, ENOSPC; here a directory in
// its place, which makes the open fail the same way) fails the write that needed it, and the next
// write opens it again, rather than failing for the rest of the hour. A replay takes lines out of
// an hour of rejects/, and this process's own appends then go to the rewritten file.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
    await zone.close();
  });

  it("takes a replay's lines out of an hour of rejects/, file by file, removing a file left empty", async () => {
    const zone = new FileZoneStore(root, 'replay');
    const at = new Date('2026-11-26T09:30:00Z');
    const hour = join(root, partitionOf('rejects', at));
    const line = (n: number, curationBatch?: number) => JSON.stringify({ n, curationBatch });
    mkdirSync(hour, { recursive: true });
    writeFileSync(join(hour, 'writer-1.ndjson'), `${line(1)}\n${line(2, 7)}\n${line(3, 8)}\n`);
    writeFileSync(join(hour, 'writer-2.ndjson'), `${line(4, 8)}\n`);
    await zone.write([{ zone: 'rejects', at, line: line(5, 8) }]);

    const undone = (text: string) => (JSON.parse(text) as { curationBatch?: number }).curationBatch === 8;
    expect(await zone.removeLines('rejects', new Date('2026-11-26T09:00:00Z'), undone)).toBe(3);
    expect(readFileSync(join(hour, 'writer-1.ndjson'), 'utf8')).toBe(`${line(1)}\n${line(2, 7)}\n`);
    expect(existsSync(join(hour, 'writer-2.ndjson'))).toBe(false);
    // This process's own file was emptied too; what it writes next is kept in a new one.
    await zone.write([{ zone: 'rejects', at, line: line(6) }]);
    expect(readFileSync(join(hour, 'replay.ndjson'), 'utf8')).toBe(`${line(6)}\n`);
    await zone.close();
  });
});
