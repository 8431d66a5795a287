// Whether a process that left a file behind (a temp copy, a zip's temp file,
// a partial download) can still be writing it. A pid means something only on
// its own host, so callers that share a directory across hosts add a host check.

/** True while `pid` names a live process on this host (EPERM: alive, not ours to signal). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
