// Process entry for bin/mirror.
import { main } from './mirror-program.js';

await main(process.argv);
