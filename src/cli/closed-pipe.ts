// A reader that goes away early (`bin/package --help | head -1`, a `jq` that
// dies on `bin/package offline --json`) closes our stdout or stderr pipe.
// Node ignores SIGPIPE, so the next write fails with EPIPE, an 'error' event
// nobody listened to: the command crashed with a stack trace, even after its
// zip was written. What is left to print has nowhere to go; the command goes
// on to its end, and its exit code still says how it went.

const guarded = new WeakSet<NodeJS.WritableStream>();

/** Drops writes to a closed pipe on `streams` (stdout and stderr) instead of crashing; other write errors still surface. */
export function tolerateClosedPipes(streams: NodeJS.WritableStream[] = [process.stdout, process.stderr]): void {
  for (const s of streams) {
    if (guarded.has(s)) continue;
    guarded.add(s);
    // After the first EPIPE the stream is destroyed: later writes are dropped without another event.
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  }
}
