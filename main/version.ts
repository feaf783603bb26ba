/** The app version, injected from package.json at build time would need a plugin; kept here and checked by a test. */
export const VERSION = '0.1.0'
