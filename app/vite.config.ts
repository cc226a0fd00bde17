// The app's build: served by the platform at /app, shipped in backend/api/static/app (so `./start` needs no Node.js).
import { defineConfig } from "vite";

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
});
