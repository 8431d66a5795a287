// Runs one fetchArtifact in its own process so a test can kill -9 it mid-download.
// Built on the fly with rolldown by download-resume.test.ts; argv[2] is JSON.
import { fetchArtifact } from '../../../src/fetch/index.js';
import type { Artifact } from '../../../src/core/artifact.js';

const { artifact, cacheDir } = JSON.parse(process.argv[2]!) as { artifact: Artifact; cacheDir: string };
const file = await fetchArtifact(artifact, { cacheDir, retries: 0 });
process.stdout.write(JSON.stringify(file) + '\n');
