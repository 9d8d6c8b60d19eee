// A static file server with nothing a bundler would add: the app's files and
// its node_modules as they are on disk, each with its MIME type.
//   node serve.mjs <port>
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));
const port = Number(process.argv[2]);
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
};

function fileFor(url) {
  const path = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
  if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) return null; // no way out of the app
  try {
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

createServer((request, response) => {
  const file = fileFor(request.url ?? '/');
  const type = file && TYPES[extname(file)];
  if (!file || !type) {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
  createReadStream(file).pipe(response);
}).listen(port, 'localhost', () => console.log(`serving ${root} on http://localhost:${port}/`));
