// Everything under /console: the console's own headers first, then its session API or its files.
import type { AuthApi } from "../../api/auth-api.js";
import type { ApiSchema } from "../../schema/api-schema.js";
import { ConsoleFiles } from "./console-files.js";
import { ConsoleSessions, type ConsoleCall } from "./console-session.js";
import { setConsoleHeaders } from "./security-headers.js";

export interface ConsoleDoorOptions {
  /** The built console (index.html, assets/). */
  readonly dir: string;
  readonly auth: AuthApi;
  readonly schema: ApiSchema;
  /** TLS here or production mode: the session cookie gets `Secure`. */
  readonly secure: boolean;
  readonly maxBodyBytes: number;
}

export class ConsoleDoor {
  private readonly files: ConsoleFiles;
  private readonly sessions: ConsoleSessions;

  constructor(o: ConsoleDoorOptions) {
    this.files = new ConsoleFiles(o.dir);
    this.sessions = new ConsoleSessions(o);
  }

  owns(path: string): boolean {
    return path === "/console" || path.startsWith("/console/");
  }

  /** Errors thrown from here still carry the console's headers: they are set before anything can fail. */
  async serve(call: ConsoleCall, path: string): Promise<void> {
    setConsoleHeaders(call.res);
    const rest = path === "/console" ? "" : path.slice("/console/".length);
    if (rest === "api" || rest.startsWith("api/")) return this.sessions.serve(call, rest.slice("api/".length));
    return this.files.serve(call.req, call.res, rest);
  }
}
