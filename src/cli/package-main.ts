// Process entry for bin/package.
import { main } from './package-program.js';

await main(process.argv);
