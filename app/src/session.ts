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
