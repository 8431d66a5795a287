// A bare node:http server for bench/mirror.mjs: answers every GET with the same
// N-byte body (argv[3]) on 127.0.0.1:argv[2]. It shows what one Node event loop
// can serve on this machine with no routing, lookups or headers beyond the minimum.
import http from 'node:http';

const [port, size] = process.argv.slice(2).map(Number);
const body = Buffer.alloc(size, 97);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
  res.end(body);
});
server.listen(port, '127.0.0.1', () => process.stdout.write('up\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
