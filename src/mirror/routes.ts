// Which answer a decoded request path gets: a site file (simple pages flagged,
// since Accept may turn them into JSON), a redirect to the canonical URL, or
// 404. Pure: the site is consulted only through `has`.
// Redirects follow PyPI: a project name that is not PEP 503-normalised
// (`/pypi/simple/Has.Script/`) and a directory URL without its slash
// (`/pypi/simple`, `/miniconda`) get a 301 to the canonical URL, query kept.
import { normalizeProjectName } from '../core/project-name.js';
import { encodeSitePath } from './request-path.js';
import { isSimplePage } from './site.js';

export type Route =
  | { kind: 'file'; path: string; simple: boolean }
  | { kind: 'redirect'; location: string }
  | { kind: 'not-found' };

/** Maps a parsed request path to a route. */
export function routeRequest(target: { path: string; segments: string[]; query: string }, has: (sitePath: string) => boolean): Route {
  const { path, segments } = target;
  const redirect = (to: string): Route => ({ kind: 'redirect', location: encodeSitePath(to) + (target.query ? `?${target.query}` : '') });

  if (segments.length === 3 && segments[0] === 'pypi' && segments[1] === 'simple') {
    const canonical = `/pypi/simple/${normalizeProjectName(segments[2]!)}/`;
    if (canonical !== path && has(canonical)) return redirect(canonical);
  }
  if (has(path)) return { kind: 'file', path, simple: isSimplePage(path) };
  if (!path.endsWith('/') && has(`${path}/`)) return redirect(`${path}/`);
  return { kind: 'not-found' };
}
