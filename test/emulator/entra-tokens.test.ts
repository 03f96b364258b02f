// Entra tokens at the emulator, as Azure takes them: a Bearer JWT for Azure's audience, signed by the issuer and unexpired, on both URL styles; anything else is Azure's bare 401.
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/index.js";
import { call, classicChat, hello, startTestEmulator } from "./harness.js";

const ENTRA_KEY = "an-hs256-secret-of-at-least-32-characters";
const ENTRA_REJECTED = {
  statusCode: 401,
  message: "Unauthorized. Access token is missing, invalid, audience is incorrect (https://cognitiveservices.azure.com), or have expired.",
};

async function token(opts: { key?: string; audience?: string; expiresInS?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ appid: "00000000-0000-4000-8000-000000000001" })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setAudience(opts.audience ?? "https://cognitiveservices.azure.com")
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (opts.expiresInS ?? 600))
    .sign(new TextEncoder().encode(opts.key ?? ENTRA_KEY));
}

const withBearer = (t: string) => ({ header: "authorization", value: `Bearer ${t}` });

let emu: Emulator;
let keyless: Emulator;
beforeAll(async () => {
  emu = await startTestEmulator({ entraKey: ENTRA_KEY });
  keyless = await startTestEmulator();
});
afterAll(async () => {
  await emu.close();
  await keyless.close();
});

describe("Entra tokens", () => {
  it("a valid token passes on classic and v1 routes, recorded as an Entra credential", async () => {
    const t = await token();
    const classic = await call(emu, classicChat(), { body: hello(), auth: withBearer(t) });
    expect(classic.status).toBe(200);
    expect(emu.requests.at(-1)?.credential).toBe("entra");
    const v1 = await call(emu, "/openai/v1/chat/completions", { body: hello({ model: "gpt-4o" }), auth: withBearer(t) });
    expect(v1.status).toBe(200);
    expect(emu.requests.at(-1)?.credential).toBe("entra");
  });

  it.each([
    ["expired", () => token({ expiresInS: -5 })],
    ["for another audience", () => token({ audience: "https://management.azure.com" })],
    ["signed by someone else", () => token({ key: "another-hs256-secret-of-32-characters-x" })],
  ])("a token %s is Azure's bare 401 on both styles", async (_name, make) => {
    const t = await make();
    for (const path of [classicChat(), "/openai/v1/chat/completions"]) {
      const r = await call(emu, path, { body: hello({ model: "gpt-4o" }), auth: withBearer(t) });
      expect(r.status, path).toBe(401);
      expect(JSON.parse(r.text)).toEqual(ENTRA_REJECTED);
    }
  });

  it("an emulator given no issuer key takes no token", async () => {
    const r = await call(keyless, "/openai/v1/chat/completions", { body: hello({ model: "gpt-4o" }), auth: withBearer(await token()) });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.text)).toEqual(ENTRA_REJECTED);
  });

  it("api-key and Bearer <api key> (v1) still work beside it", async () => {
    expect((await call(emu, classicChat(), { body: hello() })).status).toBe(200);
    expect(emu.requests.at(-1)?.credential).toBe("api-key");
    expect((await call(emu, "/openai/v1/chat/completions", { body: hello({ model: "gpt-4o" }), auth: "bearer" })).status).toBe(200);
    expect(emu.requests.at(-1)?.credential).toBe("bearer-key");
  });
});
