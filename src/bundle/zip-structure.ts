// What a zip's own structure says, read straight from its bytes (APPNOTE
// 6.3.10), so `verify` can refuse zips that different readers read
// differently: an end record whose entry count hides entries the central
// directory holds (Python's zipfile walks the directory by size and lists
// them; yauzl and unzip trust the count), a local header naming another file
// than the central directory, and entries whose data overlap (Info-ZIP:
// "possible zip bomb"). yauzl, which verify reads entries with, checks none
// of these.
import { open, type FileHandle } from 'node:fs/promises';

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

export interface CentralEntry {
  /** Raw name bytes as the central directory holds them. */
  name: Buffer;
  localOffset: number;
  compressedSize: number;
}

export interface ZipStructure {
  /** Entry count the end record states. */
  statedCount: number;
  /** Entries found by walking the central directory by its stated size. */
  entries: CentralEntry[];
  /** Findings, one sentence each; empty for a consistent zip. */
  findings: string[];
}

/** Reads and cross-checks the zip's end record, central directory and local headers. */
export async function readZipStructure(zipPath: string): Promise<ZipStructure> {
  const fh = await open(zipPath, 'r');
  try {
    const size = (await fh.stat()).size;
    const at = (offset: number, length: number) => readAt(fh, offset, length);
    const end = await findEnd(at, size);
    const entries = walkCentral(await at(end.cdOffset, end.cdSize));
    const findings: string[] = [];
    if (entries.length !== end.count) {
      findings.push(`The zip's end record says ${end.count} entries but its central directory holds ${entries.length}: readers that trust one or the other see different files`);
    }
    findings.push(...(await checkLocalHeaders(entries, at, end.cdOffset)));
    return { statedCount: end.count, entries, findings };
  } finally {
    await fh.close();
  }
}

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, offset);
  if (bytesRead !== length) throw new Error(`the zip ends at byte ${offset + bytesRead}, inside a record that needs ${length} bytes from ${offset}`);
  return buf;
}

type ReadAt = (offset: number, length: number) => Promise<Buffer>;

/** The end of central directory record (zip64 when the plain one says so). */
async function findEnd(at: ReadAt, size: number): Promise<{ count: number; cdSize: number; cdOffset: number }> {
  const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tail = await at(size - tailLength, tailLength);
  let i = tail.length - EOCD_SIZE;
  for (; i >= 0; i--) if (tail.readUInt32LE(i) === EOCD_SIG) break;
  if (i < 0) throw new Error('no end of central directory record');
  const eocdOffset = size - tailLength + i;
  let count = tail.readUInt16LE(i + 10);
  let cdSize = tail.readUInt32LE(i + 12);
  let cdOffset = tail.readUInt32LE(i + 16);
  if ((count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) && eocdOffset >= 20) {
    const locator = await at(eocdOffset - 20, 20);
    if (locator.readUInt32LE(0) === ZIP64_LOCATOR_SIG) {
      const rec = await at(Number(locator.readBigUInt64LE(8)), 56);
      if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new Error('the zip64 end record is not where its locator says');
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
  }
  if (cdOffset + cdSize > eocdOffset) throw new Error('the central directory runs past the end record');
  return { count, cdSize, cdOffset };
}

/** Central directory records, walked by size as Python's zipfile does. */
export function walkCentral(cd: Buffer): CentralEntry[] {
  const out: CentralEntry[] = [];
  let p = 0;
  while (p + 46 <= cd.length && cd.readUInt32LE(p) === CENTRAL_SIG) {
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const name = cd.subarray(p + 46, p + 46 + nameLength);
    let compressedSize = cd.readUInt32LE(p + 20);
    const uncompressed32 = cd.readUInt32LE(p + 24);
    let localOffset = cd.readUInt32LE(p + 42);
    const zip64 = zip64Extra(cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    if (zip64) {
      // the extra holds only the fields that overflowed, in this order
      let k = 0;
      if (uncompressed32 === 0xffffffff) k++;
      if (compressedSize === 0xffffffff) compressedSize = Number(zip64[k++] ?? 0n);
      if (localOffset === 0xffffffff) localOffset = Number(zip64[k++] ?? 0n);
    }
    out.push({ name: Buffer.from(name), localOffset, compressedSize });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

/** The 8-byte values of a zip64 extended information extra field (id 1), if present. */
function zip64Extra(extra: Buffer): bigint[] | undefined {
  let p = 0;
  while (p + 4 <= extra.length) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    if (id === 1) {
      const values: bigint[] = [];
      for (let k = p + 4; k + 8 <= p + 4 + length && k + 8 <= extra.length; k += 8) values.push(extra.readBigUInt64LE(k));
      return values;
    }
    p += 4 + length;
  }
  return undefined;
}

/** Local headers: present, naming the same file as the central directory, and not overlapping. */
async function checkLocalHeaders(entries: CentralEntry[], at: ReadAt, cdOffset: number): Promise<string[]> {
  const findings: string[] = [];
  const spans: Array<{ start: number; end: number; name: string }> = [];
  for (const e of entries) {
    const shown = JSON.stringify(e.name.toString('utf8'));
    if (e.localOffset + 30 > cdOffset) {
      findings.push(`Entry ${shown}: its local header would start inside the central directory`);
      continue;
    }
    const head = await at(e.localOffset, 30);
    if (head.readUInt32LE(0) !== LOCAL_SIG) {
      findings.push(`Entry ${shown}: no local header where the central directory says`);
      continue;
    }
    const nameLength = head.readUInt16LE(26);
    const extraLength = head.readUInt16LE(28);
    const localName = await at(e.localOffset + 30, nameLength);
    if (!localName.equals(e.name)) {
      findings.push(`Entry ${shown}: its local header names ${JSON.stringify(localName.toString('utf8'))} (readers that stream the zip see another file)`);
    }
    const start = e.localOffset;
    spans.push({ start, end: start + 30 + nameLength + extraLength + e.compressedSize, name: shown });
  }
  spans.sort((a, b) => a.start - b.start);
  let furthest = spans[0];
  for (const s of spans.slice(1)) {
    if (s.start < furthest!.end) findings.push(`Entries ${furthest!.name} and ${s.name} overlap in the zip (Info-ZIP calls this a possible zip bomb)`);
    if (s.end > furthest!.end) furthest = s;
  }
  return findings;
}
