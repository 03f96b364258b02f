// The credential an HTTP client presents: `Authorization: Bearer <key>` or Azure's `api-key: <key>`.
import type { IncomingMessage } from "node:http";

export function credentialOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? "";
  }
  const key = req.headers["api-key"];
  return typeof key === "string" ? key.trim() : undefined;
}
