// Test helper: a RecordSource over the fixture channels in fixtures/conda/,
// opened straight from disk (index.ts is tested separately over loopback HTTP).
import path from 'node:path';
import { cleanupAfterEach } from '../../helpers/cleanup.js';
import { stackInfo, type StackInfo } from '../../../src/core/stacks.js';
import { RepodataIndex } from '../../../src/resolve/conda/repodata.js';
import { IndexedRecordSource, type SubdirIndex } from '../../../src/resolve/conda/record-source.js';
import { virtualPackages } from '../../../src/resolve/conda/select.js';
import { FIXTURES } from '../../helpers/paths.js';

const opened: RepodataIndex[] = [];
cleanupAfterEach(async () => {
  while (opened.length) await opened.pop()!.close();
});

/** A source over fixtures/conda/<channel> for linux-64 + noarch, with the stack's virtual packages. */
export async function fixtureSource(channels: string[] = ['channel-a'], stack = 'cflinuxfs4'): Promise<IndexedRecordSource> {
  const subdirs: SubdirIndex[] = [];
  for (const [channelIndex, name] of channels.entries()) {
    const dir = path.join(FIXTURES, 'conda', name);
    for (const subdir of ['linux-64', 'noarch']) {
      const file = path.join(dir, subdir, 'repodata.json');
      const index = await RepodataIndex.open(file, subdir);
      opened.push(index);
      subdirs.push({ channel: { url: `file://${dir}`, names: [name] }, channelIndex, subdir, repodataUrl: `file://${file}`, index });
    }
  }
  return new IndexedRecordSource(subdirs, virtualPackages([stackInfo(stack) as StackInfo]));
}
