/// <reference types="vite/client" />

/** package.json version, injected at build time. */
declare const __APP_VERSION__: string
