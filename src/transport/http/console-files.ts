// The console's static files: index.html for every client route, hashed assets cached for a year; only files the build holds.
import { lstat, readdir, readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join } from "node:path";
import { GatewayError } from "../../core/errors.js";

/** A client route: letters, digits, '_', '-', '~' and '/'. No dot, no '%', no '\': nothing that could name a file or climb out. */
const CLIENT_ROUTE = /^[A-Za-z0-9_~/-]*$/;
/** One file name in assets/: dot-separated parts that are never empty, so never '.' or '..'; no '/', '%' or NUL. */
const ASSET_NAME = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+$/;
/** Vite's names carry a content hash ("index-BQ2x_Z9a.js"): only those may be cached, since their content never changes. */
const HASHED = /-[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$/;

const IMMUTABLE = "public, max-age=31536000, immutable";
const NOT_BUILT = "The console is not built: run npm run build.\n";

const TYPES: Readonly<Record<string, string>> = {
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".txt": "text/plain; charset=utf-8",
  ".wasm": "application/wasm",
};

interface Asset {
  readonly path: string;
  readonly type: string;
  readonly cacheControl: string;
  /** Read on first request, then kept: the build is small and never changes under a running gateway. */
  body?: Promise<Buffer>;
}

interface Build {
  readonly index: Buffer;
  readonly assets: ReadonlyMap<string, Asset>;
}

export class ConsoleFiles {
  /** Set once a build was found; while there is none, each request looks again (a build may appear). */
  private build: Promise<Build | undefined> | undefined;

  constructor(private readonly dir: string) {}

  /** `rest` is the path after "/console/" ("" for the console's root). */
  async serve(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      throw new GatewayError("method_not_allowed", `Method ${req.method ?? ""} is not allowed here.`, { reason: "method_not_allowed" });
    }
    const assetName = rest.startsWith("assets/") ? rest.slice("assets/".length) : undefined;
    if (assetName === undefined ? !CLIENT_ROUTE.test(rest) : !ASSET_NAME.test(assetName)) throw notFound();
    const build = await this.load();
    if (!build) return send(req, res, 503, Buffer.from(NOT_BUILT), "text/plain; charset=utf-8", "no-store");
    if (assetName === undefined) return send(req, res, 200, build.index, "text/html; charset=utf-8", "no-store");
    const asset = build.assets.get(assetName);
    if (!asset) throw notFound();
    asset.body ??= readFile(asset.path);
    send(req, res, 200, await asset.body, asset.type, asset.cacheControl);
  }

  private async load(): Promise<Build | undefined> {
    const found = await (this.build ??= readBuild(this.dir));
    if (!found) this.build = undefined;
    return found;
  }
}

/** index.html and the regular files directly in assets/ (never a symlink, never a subdirectory); undefined when there is no index.html. */
async function readBuild(dir: string): Promise<Build | undefined> {
  const indexPath = join(dir, "index.html");
  const stat = await lstat(indexPath).catch(() => undefined);
  if (!stat?.isFile()) return undefined;
  const index = await readFile(indexPath);
  const entries = await readdir(join(dir, "assets"), { withFileTypes: true }).catch(() => []);
  const assets = new Map<string, Asset>();
  for (const e of entries) {
    if (!e.isFile() || !ASSET_NAME.test(e.name)) continue;
    assets.set(e.name, {
      path: join(dir, "assets", e.name),
      type: TYPES[extname(e.name).toLowerCase()] ?? "application/octet-stream",
      cacheControl: HASHED.test(e.name) ? IMMUTABLE : "no-store",
    });
  }
  return { index, assets };
}

function send(req: IncomingMessage, res: ServerResponse, status: number, body: Buffer, type: string, cacheControl: string): void {
  res.writeHead(status, { "content-type": type, "content-length": body.length, "cache-control": cacheControl });
  res.end(req.method === "HEAD" ? undefined : body);
}

function notFound(): GatewayError {
  return new GatewayError("not_found", "No such console page or file.", { reason: "not_found" });
}
