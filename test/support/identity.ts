// Test users and keys, made the way operators make them: through the AdminService's HTTP routes.
import { randomBytes } from "node:crypto";
import { request } from "undici";

export interface Provisioned {
  readonly userId: string;
  readonly email: string;
  readonly password: string;
  readonly apiKey: string;
  readonly keyId: string;
}

/** Calls a transcoded admin route and returns its JSON; throws with the status on failure. */
export async function adminCall(baseUrl: string, token: string | undefined, method: "GET" | "POST" | "PATCH", path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await request(`${baseUrl}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
}

export async function provisionUser(baseUrl: string, adminToken: string, role: "member" | "admin", keyFields: Record<string, unknown> = {}): Promise<Provisioned> {
  const email = `${role}-${randomBytes(4).toString("hex")}@example.test`;
  const password = `pw-${randomBytes(12).toString("hex")}`;
  const user = await adminCall(baseUrl, adminToken, "POST", "/v1/admin/users", { email, password, role: role === "admin" ? "ROLE_ADMIN" : "ROLE_MEMBER" });
  if (user.status !== 200) throw new Error(`CreateUser failed: ${user.status} ${JSON.stringify(user.json)}`);
  const key = await adminCall(baseUrl, adminToken, "POST", "/v1/admin/api-keys", { user_id: user.json.user.id, name: "test", ...keyFields });
  if (key.status !== 200) throw new Error(`CreateApiKey failed: ${key.status} ${JSON.stringify(key.json)}`);
  return { userId: user.json.user.id, email, password, apiKey: key.json.secret, keyId: key.json.api_key.id };
}
