// What a call that should fail failed with: the PackagerError itself, so a
// test can assert its code, message and details. Anything else thrown is
// rethrown, and no failure at all fails the test.
import { isPackagerError, type PackagerError } from '../../src/core/errors.js';

/** The PackagerError `fn` throws. */
export function thrownPackagerError(fn: () => unknown): PackagerError {
  try {
    fn();
  } catch (err) {
    if (isPackagerError(err)) return err;
    throw err;
  }
  throw new Error('expected a PackagerError');
}

/** The PackagerError `p` rejects with. */
export async function rejectedPackagerError(p: Promise<unknown>): Promise<PackagerError> {
  try {
    await p;
  } catch (err) {
    if (isPackagerError(err)) return err;
    throw err;
  }
  throw new Error('expected a PackagerError');
}
