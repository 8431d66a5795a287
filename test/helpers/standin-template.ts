// Staging tests install the stand-in Miniconda hundreds of times: its venv (pip
// unpacked and byte-compiled) is built once per test run in this directory and
// copied (STANDIN_TEMPLATE_DIR, fixtures/installers/README.md).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export default async function setup(): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'standin-template-'));
  process.env.STANDIN_TEMPLATE_DIR = dir;
  return () => rm(dir, { recursive: true, force: true });
}
