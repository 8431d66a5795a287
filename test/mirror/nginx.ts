// Debian's nginx for the tests: private config and logs in a temp prefix
// (access.log there), a free loopback port, run in the foreground (daemon
// off, no master process) and stopped by PID. NGINX is undefined when nginx is not
// installed (`apt-get install -y nginx-light`); tests then skip with a message.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nginxConf } from '../../src/mirror/nginx-conf.js';

export const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx', '/usr/local/sbin/nginx'].find((p) => existsSync(p));

export interface RunningNginx {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Starts nginx serving the export in `root` with the configuration `bin/mirror export --nginx-conf` writes. */
export function startExportNginx(root: string, prefix: string): Promise<RunningNginx> {
  return startNginxWith(prefix, (port) => nginxConf({ root, listen: `127.0.0.1:${port}` }));
}

/**
 * Starts nginx with `server(port)` (one or more server blocks listening on
 * 127.0.0.1:port) and `http` (more http-level directives) inside a private
 * config; retries on another port when the chosen one was taken meanwhile.
 */
export async function startNginxWith(prefix: string, server: (port: number) => string, http = ''): Promise<RunningNginx> {
  if (!NGINX) throw new Error('nginx is not installed');
  await mkdir(path.join(prefix, 'tmp'), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const conf = path.join(prefix, 'nginx.conf');
    await writeFile(
      conf,
      `daemon off;
master_process off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 512; }
http {
  access_log ${prefix}/access.log;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
${http}
${server(port)}
}
`,
    );
    const child = spawn(NGINX, ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'error.log')], { stdio: 'ignore' });
    let exited = false;
    const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
    for (let i = 0; i < 200 && !exited && !(await canConnect(port)); i++) await sleep(25);
    if (!exited && !(await canConnect(port))) {
      child.kill('SIGKILL');
      await exit;
      throw new Error(`nginx did not start listening:\n${await readFile(path.join(prefix, 'error.log'), 'utf8').catch(() => '')}`);
    }
    if (!exited) {
      return {
        url: `http://127.0.0.1:${port}/`,
        pid: child.pid!,
        async stop() {
          process.kill(child.pid!, 'SIGTERM');
          await exit;
        },
      };
    }
    const log = await readFile(path.join(prefix, 'error.log'), 'utf8').catch(() => '');
    if (attempt >= 3 || !log.includes('Address already in use')) throw new Error(`nginx did not start:\n${log}`);
  }
}
