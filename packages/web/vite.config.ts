import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` proxies the API to a server started with `npm start` (port 8080 by default).
const api = process.env.KEYHAVEN_URL ?? 'http://localhost:8080';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, manifest: true },
  server: { proxy: { '/v1': api, '/health': api, '/favicon.svg': api, '/favicon.ico': api } },
});
