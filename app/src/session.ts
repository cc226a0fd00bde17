/** The session's sign-in token: taken from the link's fragment (`/app#token=<token>`), kept in sessionStorage only. */

const KEY = "gongzhi.token";

/**
 * Takes a token from the address's fragment, if there is one, and removes it from the address bar at once
 * (history.replaceState), before any request leaves. Runs first thing at start.
 */
export function takeTokenFromFragment(): void {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const token = fragment.get("token");
  if (token === null) return;
  fragment.delete("token");
  const rest = fragment.toString();
  history.replaceState(history.state, "", window.location.pathname + window.location.search + (rest ? `#${rest}` : ""));
  if (token.trim()) sessionStorage.setItem(KEY, token.trim());
}

/** The session's token, or null when nobody is signed in. */
export function sessionToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function signIn(token: string): void {
  sessionStorage.setItem(KEY, token.trim());
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** The actor a token names, read from its claims WITHOUT checking its signature (the server checks it): used only
 * offline, to open that actor's screens, cache and queue until op:Me can check the token
 * (frontend-spec/screens.md "Sign-in"). Null when the token is no JWT with sub, role and scope. */
export function tokenClaims(token: string): { id: string; role: string; scope: string } | null {
  const part = token.split(".")[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
    const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as
      Record<string, unknown>;
    const { sub, role, scope } = claims;
    if (typeof sub !== "string" || typeof role !== "string" || typeof scope !== "string") return null;
    return { id: sub, role, scope };
  } catch {
    return null;
  }
}
