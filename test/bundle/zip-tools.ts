// Test helpers that inspect zips with the real Info-ZIP tools (unzip, zipinfo)
// and python's zipfile, never with our own reader.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `unzip -t` output; throws when unzip reports a problem. */
export async function unzipTest(zip: string): Promise<string> {
  const { stdout } = await run('unzip', ['-t', zip], { maxBuffer: 64 << 20 });
  return stdout;
}

export interface ZipinfoRow {
  mode: string;
  method: string;
  date: string;
  name: string;
}

/** One row per entry from `zipinfo -l -T` (mode string, stor/defN, date, name). */
export async function zipinfoRows(zip: string): Promise<ZipinfoRow[]> {
  const { stdout } = await run('zipinfo', ['-T', zip], { maxBuffer: 64 << 20 });
  const rows: ZipinfoRow[] = [];
  for (const line of stdout.split('\n')) {
    // -rwxr-xr-x  3.0 unx      123 b- defN 19800101.000000 bin/compile
    const m = /^([-dlrwxsStT]{10})\s+\S+\s+\S+\s+\d+\s+\S+\s+(\S+)\s+(\d{8}\.\d{6})\s+(.+)$/.exec(line);
    if (m) rows.push({ mode: m[1]!, method: m[2]!, date: m[3]!, name: m[4]! });
  }
  return rows;
}

/** Entry names as python's zipfile lists them (central directory order). */
export async function pythonNames(zip: string): Promise<string[]> {
  const { stdout } = await run('python3', ['-c', 'import sys,zipfile,json; print(json.dumps(zipfile.ZipFile(sys.argv[1]).namelist()))', zip]);
  return JSON.parse(stdout) as string[];
}

/** Contents of one entry as text (`unzip -p`). */
export async function entryText(zip: string, name: string): Promise<string> {
  const { stdout } = await run('unzip', ['-p', zip, name], { maxBuffer: 64 << 20 });
  return stdout;
}

/** Every entry's bytes, via python (binary-safe), as name -> Buffer. */
export async function allEntries(zip: string): Promise<Map<string, Buffer>> {
  const script = 'import sys,zipfile,json,base64; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps({n: base64.b64encode(z.read(n)).decode() for n in z.namelist()}))';
  const { stdout } = await run('python3', ['-c', script, zip], { maxBuffer: 256 << 20 });
  const obj = JSON.parse(stdout) as Record<string, string>;
  return new Map(Object.entries(obj).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
}
