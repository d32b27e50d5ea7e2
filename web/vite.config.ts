/// <reference types="vitest/config" />
import { defineConfig, loadEnv } from "vite";
import react from "@vitejs/plugin-react";

// The built page is served by the studio at "/" with its files under "/assets" (see scripts/build_web.sh).
// `npm run dev` proxies the API (REST and the /api/ws WebSocket) to a studio on port 8000;
// TABRL_API=http://127.0.0.1:8011 npm run dev points it elsewhere.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, ".", "TABRL_");
  const target = env.TABRL_API || "http://127.0.0.1:8000";
  return {
    base: "/",
    plugins: [react()],
    build: { outDir: "dist", assetsDir: "assets", sourcemap: false },
    server: { proxy: { "/api": { target, changeOrigin: true, ws: true } } },
    preview: { proxy: { "/api": { target, changeOrigin: true, ws: true } } },
    test: {
      environment: "jsdom",
      globals: true,
      setupFiles: ["./src/test/setup.ts"],
      include: ["src/**/*.test.{ts,tsx}"],
      css: false,
      testTimeout: 60_000, // a loaded machine is slow, not wrong (see src/test/setup.ts)
    },
  };
});
