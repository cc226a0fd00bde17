// The app's build: served by the platform at /app, shipped in backend/api/static/app (so `./start` needs no Node.js).
// vite-plugin-pwa (Workbox's generateSW) writes the web manifest and the service worker (sw.js) that precaches the
// app shell (index.html, the JS, which holds the persisted documents' manifest, the CSS, icons, the web manifest), so
// the app opens offline after a first visit
// (frontend-spec/offline.md "The shell"). The worker is registered by main.tsx (an external module: the CSP forbids
// inline script), with scope /app (the server answers sw.js with Service-Worker-Allowed: /app).
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";

export default defineConfig({
  base: "/app/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  resolve: { alias: { react: "preact/compat", "react-dom": "preact/compat" } },
  build: {
    outDir: "../backend/api/static/app",
    emptyOutDir: true,
    // No inline script or style anywhere (the CSP forbids them), and no modulepreload polyfill inlined.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  plugins: [
    VitePWA({
      injectRegister: null, // main.tsx registers the worker (no inline script)
      registerType: "prompt", // a new version waits for the next start: nothing changes mid-task
      filename: "sw.js",
      manifestFilename: "manifest.webmanifest",
      scope: "/app",
      includeManifestIcons: true,
      manifest: {
        name: "共治",
        short_name: "共治",
        description: "社区治理：待办、活动、评议",
        lang: "zh-CN",
        dir: "ltr",
        id: "/app",
        start_url: "/app",
        scope: "/app",
        display: "standalone",
        orientation: "portrait",
        background_color: "#ffffff",
        theme_color: "#b3261e",
        icons: [
          { src: "/app/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
          { src: "/app/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          { src: "/app/icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{js,css,html,png,webmanifest}"],
        globIgnores: ["build-stamp.json", "sw.js", "workbox-*.js"],
        // Every navigation under /app (a screen's path) is answered with the cached index.html when offline; the
        // app's router reads the path. /graphql is never cached: data is the GraphQL client's (Graphcache in IDB).
        navigateFallback: "/app/index.html",
        navigateFallbackAllowlist: [/^\/app(\/|$)/],
        navigateFallbackDenylist: [/^\/app\/(assets|icons)\//, /^\/app\/persisted-documents\.json$/, /^\/app\/sw\.js$/],
        cleanupOutdatedCaches: true,
        clientsClaim: false,
        skipWaiting: false,
        inlineWorkboxRuntime: true,
        sourcemap: false,
        mode: "production",
      },
    }),
  ],
});
