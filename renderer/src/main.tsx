import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import './styles.css'

const root = document.getElementById('root')

function fail(message: string): void {
  if (!root) return
  const p = document.createElement('p')
  p.className = 'fatal'
  p.setAttribute('role', 'alert')
  p.textContent = message
  root.replaceChildren(p)
}

// The stores talk to the API at module scope, so check that this page has one before loading them.
const hasToken = new URLSearchParams(window.location.hash.slice(1)).has('token')
if (!window.api && !hasToken) {
  fail('This page was opened without its access token. Open the exact URL that `headroom --web` printed.')
} else {
  import('./App')
    .then(({ App }) => {
      if (root)
        createRoot(root).render(
          <StrictMode>
            <App />
          </StrictMode>
        )
    })
    .catch((err: unknown) => fail(`Headroom could not start: ${(err as Error).message}`))
}
