import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

// Three builds (style.md 14):
//  - main: the Electron shell (index), the plain-Node CLI and browser host (cli), and the
//    simulator worker (worker). All three are entries of one build so they share chunks and
//    the pool finds the worker next to whichever entry started it (out/main/worker.js).
//    Explicit entries instead of `?modulePath`: the CLI runs under plain Node, where the
//    worker path must resolve without Electron.
//  - preload: one CommonJS file, because sandboxed preloads cannot load ES modules or
//    relative chunks.
//  - renderer: the React workbench, identical for the desktop window and the browser host.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'main/electron/index.ts'),
          cli: resolve(__dirname, 'main/cli/index.ts'),
          worker: resolve(__dirname, 'simulator/worker.ts')
        },
        output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' }
      }
    }
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'main/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      // The CSP forbids inline scripts; keep every module an external file.
      modulePreload: { polyfill: false },
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } }
    }
  }
})
