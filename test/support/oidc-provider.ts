// A local OpenID Connect provider for the single sign-on tests: oidc-provider on port 0, one confidential client, PKCE required, and a one-button login page for the account the test names.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Provider, { type Account, type KoaContextWithOIDC } from "oidc-provider";

export const TEST_CLIENT_ID = "aik-gateway";

/** The claims the provider gives one account; `sub` is its accountId. */
export interface TestAccount {
  readonly sub: string;
  readonly email?: string;
  readonly preferred_username?: string;
  readonly name?: string;
  /** Entra's tenant id claim. */
  readonly tid?: string;
  /** Entra's app roles claim. */
  readonly roles?: readonly string[];
}

export interface TestProvider {
  readonly issuer: string;
  readonly clientSecret: string;
  /** Which account the next authorization request signs in as (the provider's login page offers it on one button). */
  signInAs(account: TestAccount): void;
  /** Changes an account's claims for its next sign-in (a role granted or withdrawn at the provider). */
  update(account: TestAccount): void;
  /** Registers the gateway's callback, which is known only once the gateway listens; until then every request is a 503. */
  attach(redirectUri: string): void;
  close(): Promise<void>;
}

/**
 * Listens first, so the issuer URL (with its port) exists before the gateway is configured with
 * it. `hostname` "localhost" puts the provider on another site than a gateway at 127.0.0.1, as a
 * real provider is (SameSite cookies then behave as they will in production).
 */
export async function startTestProvider(hostname: "127.0.0.1" | "localhost" = "127.0.0.1"): Promise<TestProvider> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    if (handler) return handler(req, res);
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://${hostname}:${(server.address() as AddressInfo).port}`;
  const clientSecret = randomBytes(24).toString("base64url");
  const accounts = new Map<string, TestAccount>();
  let next: TestAccount | undefined;

  return {
    issuer,
    clientSecret,
    signInAs: (account) => {
      accounts.set(account.sub, account);
      next = account;
    },
    update: (account) => accounts.set(account.sub, account),
    attach: (redirectUri) => {
      const provider = buildProvider(issuer, clientSecret, redirectUri, (id) => accounts.get(id));
      const callback = provider.callback();
      handler = (req, res) => {
        if (req.url?.startsWith("/interaction/")) {
          void finishInteraction(provider, req, res, next).catch((err: unknown) => {
            res.writeHead(500, { "content-type": "text/plain" }).end(String(err));
          });
          return;
        }
        callback(req, res);
      };
    },
    close: () => closeServer(server),
  };
}

function buildProvider(issuer: string, clientSecret: string, redirectUri: string, find: (id: string) => TestAccount | undefined): Provider {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: "jwk" }), kid: "test-key", alg: "RS256", use: "sig" };
  return new Provider(issuer, {
    clients: [
      {
        client_id: TEST_CLIENT_ID,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    pkce: { required: () => true },
    // Short lives, set so the provider does not warn about its defaults.
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    // Standard claims go into the ID token (as Entra puts them), not only into userinfo.
    conformIdTokenClaims: false,
    claims: { openid: ["sub", "tid", "roles"], email: ["email"], profile: ["name", "preferred_username"] },
    features: { devInteractions: { enabled: false } },
    findAccount: async (_ctx: KoaContextWithOIDC, id: string): Promise<Account | undefined> => {
      const account = find(id);
      if (!account) return undefined;
      return { accountId: id, claims: () => ({ ...account, roles: account.roles ? [...account.roles] : undefined }) };
    },
  });
}

/**
 * The provider's login and consent prompts in one page: GET shows a "Continue" button, its POST
 * signs in the account the test named. The browser leaves the provider from the provider's own
 * page, as after a real login, so the way back to the gateway is a cross-site navigation.
 */
async function finishInteraction(provider: Provider, req: IncomingMessage, res: ServerResponse, account: TestAccount | undefined): Promise<void> {
  if (!account) throw new Error("the test named no account to sign in (signInAs)");
  const details = await provider.interactionDetails(req, res);
  if (req.method === "GET") {
    const page = `<!doctype html><title>Test IdP</title><form method="post" action="/interaction/${details.uid}"><button type="submit">Continue</button></form>`;
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page);
    return;
  }
  // The form's (empty) body is read before the answer, so the connection stays usable.
  for await (const _ of req) void _;
  const clientId = details.params.client_id;
  if (typeof clientId !== "string") throw new Error("the interaction names no client");
  const grant = new provider.Grant({ accountId: account.sub, clientId });
  grant.addOIDCScope(typeof details.params.scope === "string" ? details.params.scope : "openid");
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId: account.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}
