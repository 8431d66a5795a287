// Files the user names (manifest, lock, requirements, environment files,
// local packages) are read only when they are regular files: a FIFO, a device
// such as /dev/zero or a directory would block or never end. The file is
// opened non-blocking and checked on the open descriptor, so a FIFO with no
// writer cannot hang the open itself.
import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { PackagerError, type ErrorCode } from './errors.js';

/** What a non-regular file is, for messages: `a FIFO`, `a character device`, ... */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

export interface ReadRegularFileOptions {
  /** Error code for a refusal (EINPUT for inputs, EMANIFEST/ELOCK for YAML). */
  code: ErrorCode;
  /** Refuse files larger than this. */
  maxBytes: number;
  /** What the file is, in messages: `requirements file`, `manifest`. */
  what: string;
  /** Shown as the error's `file` (the name as the user wrote it); default `file`. */
  shown?: string;
}

/**
 * The bytes of `file`, refusing anything that is not a regular file of at
 * most `maxBytes`. A missing or unreadable file throws the fs error as is.
 */
export async function readRegularFile(file: string, o: ReadRegularFileOptions): Promise<Buffer> {
  const shown = o.shown ?? file;
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new PackagerError(o.code, `The ${o.what} is ${fileKind(st)}, not a regular file: ${shown}`, {
        file: shown,
        hint: 'name a regular file (the packager never reads pipes, devices or directories as input)',
      });
    }
    if (st.size > o.maxBytes) {
      throw new PackagerError(o.code, `The ${o.what} is ${st.size} bytes, more than it can reasonably be (limit ${o.maxBytes}): ${shown}`, {
        file: shown,
        hint: 'check that this is the file you meant',
      });
    }
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}
