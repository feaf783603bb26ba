import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

// Test projects mirror the source layout (style.md 13): node for main and simulator,
// jsdom for React components, real Chromium (playwright-core) for end-to-end.
export default defineConfig({
  test: {
    // The default report, then one plain closing line CI reads ("tests: N passed, N failed").
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'simulator',
          environment: 'node',
          include: ['test/simulator/**/*.test.ts'],
          testTimeout: 120_000
        }
      },
      {
        test: {
          name: 'main',
          environment: 'node',
          include: ['test/main/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000
        }
      },
      {
        plugins: [react()],
        test: {
          name: 'renderer',
          environment: 'jsdom',
          include: ['test/renderer/**/*.test.{ts,tsx}'],
          setupFiles: ['test/support/jsdom-setup.ts'],
          testTimeout: 60_000
        }
      },
      {
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false
        }
      }
    ]
  }
})
