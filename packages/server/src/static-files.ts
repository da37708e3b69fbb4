/**
 * Static files for the HTTP side of the server (the dashboard at `/`). The directory is read
 * once, at start: only the regular files found under it then are ever served, looked up by
 * exact path in a table, so no request path can reach outside it (no `..`, no symlink escape,
 * no file added later). Each file is kept with its content type, an ETag and a gzip copy.
 */
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

/** Content types by file extension; other files are not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Types worth compressing. */
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt']);

/** Bounds of what is loaded: a dashboard build is far below both. */
const MAX_FILES = 1000;
const MAX_TOTAL_BYTES = 64 << 20;

/**
 * The dashboard page's policy: scripts, styles and sockets from this origin only; no framing,
 * no forms posting elsewhere.
 */
const HTML_SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; " +
    "style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface StaticFile {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
  readonly cacheControl: string;
  readonly html: boolean;
}

/** A request handler for `WsServerOptions.http`: true when it answered the request. */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Loads every servable file under `dir` and returns a handler for GET and HEAD requests:
 * `/` is `index.html`; files under `assets/` (content-hashed by the bundler) are cached for a
 * year as immutable, everything else is revalidated (`no-cache`, ETag / If-None-Match → 304).
 * Paths it does not hold are left to the caller (404).
 *
 * @throws Error when `dir` is not a readable directory, has no `index.html`, or holds more than
 * 1,000 files or 64 MiB.
 */
export async function loadStaticFiles(dir: string): Promise<HttpHandler> {
  const root = await realpath(dir);
  if (!(await stat(root)).isDirectory()) throw new Error(`${dir} is not a directory`);
  const files = new Map<string, StaticFile>();
  let total = 0;

  const walk = async (path: string): Promise<void> => {
    for (const entry of await readdir(path, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const full = join(path, entry.name);
      // Symlinks are followed only while they stay inside the root.
      const real = await realpath(full);
      const rel = relative(root, real);
      if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) continue;
      const st = await stat(real);
      if (st.isDirectory()) {
        await walk(full);
        continue;
      }
      const ext = extname(entry.name).toLowerCase();
      const type = CONTENT_TYPES[ext];
      if (!st.isFile() || type === undefined) continue;
      if (files.size >= MAX_FILES) throw new Error(`${dir} holds more than ${MAX_FILES} files`);
      total += st.size;
      if (total > MAX_TOTAL_BYTES) throw new Error(`${dir} holds more than 64 MiB`);
      const body = await readFile(real);
      const urlPath = `/${relative(root, full).split(sep).join('/')}`;
      files.set(urlPath, {
        body,
        gzip: COMPRESSIBLE.has(ext) && body.length > 512 ? gzipSync(body) : undefined,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        cacheControl: urlPath.startsWith('/assets/')
          ? 'public, max-age=31536000, immutable'
          : 'no-cache',
        html: ext === '.html',
      });
    }
  };
  await walk(root);
  if (!files.has('/index.html')) throw new Error(`${dir} has no index.html`);

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const raw = (req.url ?? '/').split('?')[0] ?? '/';
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      return false;
    }
    const file = files.get(path === '/' ? '/index.html' : path);
    if (file === undefined) return false;
    const headers: Record<string, string> = {
      'content-type': file.type,
      'cache-control': file.cacheControl,
      etag: file.etag,
      'x-content-type-options': 'nosniff',
      vary: 'accept-encoding',
      ...(file.html ? HTML_SECURITY_HEADERS : {}),
    };
    if (req.headers['if-none-match'] === file.etag) {
      res.writeHead(304, headers).end();
      return true;
    }
    const gzip = file.gzip !== undefined && /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
    const body = gzip && file.gzip !== undefined ? file.gzip : file.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = String(body.length);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
