import { describe, expect, it } from 'vitest';
import { parseRequestTarget } from '../../src/mirror/request-path.js';
import { routeRequest } from '../../src/mirror/routes.js';

const SITE = new Set([
  '/',
  '/healthz',
  '/miniconda/',
  '/miniconda/Miniforge3-24.7.1-0-Linux-x86_64.sh',
  '/pypi/simple/',
  '/pypi/simple/has-script/',
  '/pypi/files/has.script-1.0-py2.py3-none-any.whl',
  '/conda/conda-forge/noarch/repodata.json',
]);

function route(raw: string) {
  const t = parseRequestTarget(raw);
  if (!t.ok) throw new Error(t.reason);
  return routeRequest(t, (p) => SITE.has(p));
}

describe('routeRequest', () => {
  const table: [string, ReturnType<typeof routeRequest>][] = [
    ['/', { kind: 'file', path: '/', simple: false }],
    ['/healthz', { kind: 'file', path: '/healthz', simple: false }],
    ['/pypi/simple/', { kind: 'file', path: '/pypi/simple/', simple: true }],
    ['/pypi/simple/has-script/', { kind: 'file', path: '/pypi/simple/has-script/', simple: true }],
    ['/pypi/simple/Has.Script/', { kind: 'redirect', location: '/pypi/simple/has-script/' }],
    ['/pypi/simple/has_script/', { kind: 'redirect', location: '/pypi/simple/has-script/' }],
    ['/pypi/simple/HAS--SCRIPT', { kind: 'redirect', location: '/pypi/simple/has-script/' }],
    ['/pypi/simple/has-script', { kind: 'redirect', location: '/pypi/simple/has-script/' }],
    ['/pypi/simple/Has.Script/?format=x', { kind: 'redirect', location: '/pypi/simple/has-script/?format=x' }],
    ['/pypi/simple', { kind: 'redirect', location: '/pypi/simple/' }],
    ['/miniconda', { kind: 'redirect', location: '/miniconda/' }],
    ['/pypi/simple/Unknown/', { kind: 'not-found' }],
    ['/pypi/simple/numpy/', { kind: 'not-found' }],
    ['/pypi/files/has.script-1.0-py2.py3-none-any.whl', { kind: 'file', path: '/pypi/files/has.script-1.0-py2.py3-none-any.whl', simple: false }],
    ['/pypi/files/has.script-1.0-py2.py3-none-any.whl/', { kind: 'not-found' }],
    ['/pypi/files/', { kind: 'not-found' }],
    ['/conda/conda-forge/noarch/repodata.json', { kind: 'file', path: '/conda/conda-forge/noarch/repodata.json', simple: false }],
    ['/conda/conda-forge/noarch/current_repodata.json', { kind: 'not-found' }],
    ['/conda/conda-forge/noarch/', { kind: 'not-found' }],
    ['/dependencies/index.tsv', { kind: 'not-found' }],
    ['/manifest.yml', { kind: 'not-found' }],
  ];
  it.each(table)('%s -> %j', (raw, want) => {
    expect(route(raw)).toEqual(want);
  });
});
