/** The app's entry. `./take-token` comes first: the token leaves the address bar before anything else runs. Then
 * elder mode (a phone preference) is applied before the first render, and the service worker is registered
 * (an external module: the CSP forbids inline script). */
import "./take-token";
import { start } from "./app";
import { applyElderMode } from "./screens/settings";

applyElderMode();
void start(document.getElementById("app")!);

// The service worker (vite-plugin-pwa's Workbox build, sw.js) caches the app shell so the app opens offline; its
// scope is /app itself (the server allows it with Service-Worker-Allowed: /app). A new version waits for the next
// start: nothing changes mid-task (frontend-spec/offline.md).
if ("serviceWorker" in navigator && window.isSecureContext) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/app/sw.js", { scope: "/app" }).catch(() => undefined);
  });
}
