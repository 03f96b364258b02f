// The one typed, frozen configuration every module receives; nothing else reads process.env.
import type { Deployment } from "../core/deployments.js";
import type { WildcardTemplate } from "../core/router.js";
import type { UpstreamOptions } from "../upstream/azure-client.js";

/** Where requests go: configured Azure deployments, env-only Azure, or the built-in emulator. */
export type UpstreamMode =
  | { readonly kind: "deployments"; readonly deployments: readonly Deployment[] }
  | { readonly kind: "env"; readonly wildcard: WildcardTemplate }
  | { readonly kind: "emulator" };

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface Config {
  readonly host: string;
  readonly httpPort: number;
  readonly grpcPort: number;
  /** Largest request body accepted, checked while reading. */
  readonly maxBodyBytes: number;
  /** Production mode sends Strict-Transport-Security even without TLS here (TLS ends at a proxy). */
  readonly production: boolean;
  readonly tls: TlsFiles | undefined;
  readonly mode: UpstreamMode;
  readonly upstream: UpstreamOptions;
  /** How long a graceful shutdown waits for in-flight requests. */
  readonly shutdownGraceMs: number;
  /** Startup notes worth a warning (plain http endpoints and the like). */
  readonly warnings: readonly string[];
}
