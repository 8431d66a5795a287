// The nginx configuration for a `bin/mirror export` tree: what lets nginx (or
// any static server set up alike) answer as `bin/mirror serve` does, with no
// program of ours running. It goes in nginx's http context (a `map` and a
// `server`). Content types and Cache-Control follow site.ts (contentTypeFor,
// cacheControlFor); HEAD, Range, ETag and If-None-Match / If-Modified-Since
// are nginx's own (its ETag is the file's mtime and size, not a sha256).
// PEP 691 negotiation, done statically: a simple page URL answers the JSON
// form exported beside it (index.json) when Accept names a PEP 691 JSON type
// with a non-zero q, and the HTML page otherwise, with `Vary: Accept`. Unlike
// `serve`, it does not weigh q-values against each other, read `?format=`,
// answer 406, or redirect unnormalised project names (pip and uv normalise
// them before asking).
// Directives: https://nginx.org/en/docs/http/ngx_http_core_module.html ,
// https://nginx.org/en/docs/http/ngx_http_map_module.html , ngx_http_index_module, ngx_http_headers_module.
import { PackagerError } from '../core/errors.js';
import { SIMPLE_JSON, TEXT_HTML } from './pep691.js';
import { HEALTHZ_PATH, IMMUTABLE, REVALIDATE, SIMPLE_JSON_FILE, SIMPLE_ROOT_PATH } from './site.js';

export interface NginxConfOptions {
  /** The export directory (absolute). */
  root: string;
  /** What `listen` gets: `80`, `127.0.0.1:8080`, `[::]:80 default_server` (default 80). */
  listen?: string;
}

// An Accept header that names a PEP 691 JSON type, unless with q=0.
const WANTS_JSON = String.raw`~*application/vnd\.pypi\.simple\.(v1|latest)\+json(?!\s*;\s*q\s*=\s*0(\.0*)?\s*(,|$))`;
// the PEP 503 HTML page's file, from site.ts's sitePathToFile
const HTML_FILE = 'index.html';

/** The configuration text. Throws EUSAGE for a root or listen value nginx cannot be given safely. */
export function nginxConf(o: NginxConfOptions): string {
  const listen = o.listen ?? '80';
  if (!/^[\w.:[\]-]+( [\w=.:-]+)*$/.test(listen)) {
    throw new PackagerError('EUSAGE', `Not a value for nginx's listen: ${JSON.stringify(listen)}`, { hint: 'give a port, address:port or [ipv6]:port, e.g. 8080 or 127.0.0.1:8080' });
  }
  // nginx expands `$` in `root` and has no escape for it
  // eslint-disable-next-line no-control-regex
  if (!o.root.startsWith('/') || /[$\u0000-\u001f\u007f]/.test(o.root)) {
    throw new PackagerError('EUSAGE', `nginx cannot be given this export directory as its root: ${JSON.stringify(o.root)}`, {
      hint: 'export into an absolute path without `$` or control characters',
    });
  }
  const root = `"${o.root.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const headers = (cacheControl: string, vary = false) =>
    [`add_header Cache-Control "${cacheControl}";`, 'add_header X-Content-Type-Options nosniff;', ...(vary ? ['add_header Vary Accept;'] : [])].map((l) => `        ${l}`).join('\n');
  const type = (full: string) => full.replace(/;.*$/, '');
  return `# nginx configuration for a \`bin/mirror export\` tree (written by bin/mirror export --nginx-conf).
# Goes in nginx's http context, e.g. included from /etc/nginx/conf.d/.

# PEP 691: the JSON form of a simple page when the client accepts it
map $http_accept $buildpack_mirror_simple_index {
    default ${HTML_FILE};
    "${WANTS_JSON}" ${SIMPLE_JSON_FILE};
}

server {
    listen ${listen};
    server_name _;
    root ${root};
    charset utf-8;
    types {
        ${type(TEXT_HTML)} html;
        application/json json;
    }
    default_type application/octet-stream;
    absolute_redirect off;

    # the export's own index and temporary files
    location ~ /\\. {
        deny all;
    }
    # packages never change under their name
    location ~ ^/conda/[^/]+/[^/]+/[^/]+\\.(conda|tar\\.bz2)$ {
${headers(IMMUTABLE)}
    }
    location /pypi/files/ {
${headers(IMMUTABLE)}
    }
    location ${SIMPLE_ROOT_PATH} {
        index $buildpack_mirror_simple_index;
        types {
            ${type(TEXT_HTML)} html;
            ${SIMPLE_JSON} json;
        }
${headers(REVALIDATE, true)}
    }
    location = ${HEALTHZ_PATH} {
        default_type text/plain;
${headers(REVALIDATE)}
    }
    # repodata, the installer listing and installers, the root page
    location / {
        index ${HTML_FILE};
${headers(REVALIDATE)}
    }
}
`;
}
