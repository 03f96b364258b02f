// The browser session: log in, ask whether the cookie still names a live session, log out. The token itself stays in the HttpOnly cookie.
import { ApiError, callJson, setCsrfToken } from "../api";
import { objectAt, objectOf, textAt } from "../json";
import { decodeUser, type User } from "./users";

export interface Session {
  readonly user: User;
  readonly expiresAt: string;
}

function decodeSession(v: unknown): Session {
  const o = objectOf(v, "session");
  setCsrfToken(textAt(o, "csrf_token"));
  return { user: decodeUser(objectAt(o, "user")), expiresAt: textAt(o, "expires_at") };
}

/** The live session the cookie names, or undefined when there is none (401). */
export async function currentSession(): Promise<Session | undefined> {
  try {
    return decodeSession(await callJson("/console/api/session", { sessionEndpoint: true }));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return undefined;
    throw e;
  }
}

export async function logIn(email: string, password: string): Promise<Session> {
  return decodeSession(await callJson("/console/api/login", { method: "POST", body: { email, password }, sessionEndpoint: true }));
}

export async function logOut(): Promise<void> {
  try {
    await callJson("/console/api/logout", { method: "POST", body: {}, sessionEndpoint: true });
  } finally {
    setCsrfToken(undefined);
  }
}
