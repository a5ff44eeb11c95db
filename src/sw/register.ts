// Registers the service worker of a production build (dist/sw.js, beside index.html). Where
// service workers are not allowed (insecure origins, some private modes, file://) or
// registration fails, the lab simply runs without the offline shell.

function warn(e: unknown) {
  console.warn(`Moral Lens works without its offline copy: the service worker was not registered (${(e as Error)?.message ?? e}).`)
}

export function registerServiceWorker(): void {
  try {
    if (!globalThis.isSecureContext || !('serviceWorker' in navigator)) return
    const container = navigator.serviceWorker
    if (!import.meta.env.PROD) {
      // A development server on a port that once served a production build must not be answered
      // from that build's cache.
      void container.getRegistrations().then((rs) => rs.forEach((r) => void r.unregister()), () => undefined)
      return
    }
    const register = () => void container.register(new URL('sw.js', document.baseURI)).catch(warn)
    // After the page has loaded, so precaching does not compete with the first start.
    if (document.readyState === 'complete') register()
    else addEventListener('load', register, { once: true })
  } catch (e) {
    // Some browsers throw on merely touching navigator.serviceWorker (storage blocked).
    warn(e)
  }
}
