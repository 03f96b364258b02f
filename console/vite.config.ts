// Builds the console (Preact + uPlot) into static files the gateway serves at /console: hashed assets, no inline script, nothing from a CDN.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/console/",
  // The gateway's CSP allows no inline script and no eval: JSX compiles to preact's runtime calls.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  publicDir: false,
  logLevel: "warn",
  build: {
    // `npm run build` fills dist/console; tests pass their own outDir (test/support/console-build.ts).
    outDir: fileURLToPath(new URL("../dist/console", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    // Every asset a file of its own under assets/ (CSP: no data: scripts or fonts), named by its hash.
    assetsInlineLimit: 0,
    // The polyfill would be an inline script; every browser the console targets has modulepreload.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: "es2022",
    reportCompressedSize: false,
  },
});
