/**
 * Connect to a server and snapshot it (read-only). Hosts from ~/.ssh/config are offered;
 * authentication is whatever the config and ssh-agent provide, or a password / a private
 * key given here for this take only (remembered only in the OS keychain when asked, and only
 * in the desktop app). Unknown host keys are shown with their SHA256 fingerprint and need an
 * explicit yes; a changed key is refused.
 */
import { useEffect, useId, useState } from 'react'
import { getApi } from '../../api'
import { useSnapshots } from '../../state/snapshot-store'
import type { SnapshotTakeRequest } from '../../../../main/snapshot/api-types'

const STAGES: Record<string, string> = {
  connecting: 'connecting',
  discover: 'reading sysctls, limits and listeners',
  configs: 'reading HAProxy / nginx / php-fpm',
  sample: 'sampling kernel counters',
  saving: 'saving'
}

export function ConnectForm({ onOpened }: { onOpened(id: string): void }) {
  const id = useId()
  const { take, start, cancel, trustAndRetry } = useSnapshots()
  const [hosts, setHosts] = useState<string[]>([])
  const [host, setHost] = useState('')
  const [user, setUser] = useState('')
  const [port, setPort] = useState('')
  const [auth, setAuth] = useState<'default' | 'password' | 'key'>('default')
  const [password, setPassword] = useState('')
  const [privateKey, setPrivateKey] = useState('')
  const [passphrase, setPassphrase] = useState('')
  const [remember, setRemember] = useState(false)
  const [interval, setIntervalS] = useState('5')
  const [sudo, setSudo] = useState(false)
  const [statsSocket, setStatsSocket] = useState('')
  const [statsUrl, setStatsUrl] = useState('')
  const [error, setError] = useState<string | null>(null)

  useEffect(() => {
    void getApi()
      .snapshot.sshHosts()
      .then((r) => setHosts(r.hosts))
      .catch(() => setHosts([]))
  }, [])

  // Open the snapshot when a take started from this form finishes (not an earlier one).
  const [startedHere, setStartedHere] = useState(false)
  useEffect(() => {
    if (startedHere && take.status === 'done') {
      setStartedHere(false)
      onOpened(take.snapshotId)
    }
  }, [take, onOpened, startedHere])

  const submit = (e: React.FormEvent): void => {
    e.preventDefault()
    const p = port.trim() === '' ? undefined : Number(port)
    const iv = Number(interval)
    const problems = [
      host.trim() === '' ? 'a host is required' : null,
      /\s/.test(host.trim()) ? 'the host has no spaces' : null,
      p !== undefined && (!Number.isInteger(p) || p < 1 || p > 65535) ? 'the port is a number from 1 to 65535' : null,
      !Number.isFinite(iv) || iv < 0 || iv > 600 ? 'the sampling interval is 0 to 600 seconds' : null,
      auth === 'password' && password === '' ? 'enter the password (or choose another method)' : null,
      auth === 'key' && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey) ? 'paste a private key (OpenSSH or PEM) or load its file' : null
    ].filter((x): x is string => x !== null)
    if (problems.length) {
      setError(problems.join('; '))
      return
    }
    setError(null)
    const req: SnapshotTakeRequest = { host: host.trim(), sampleIntervalS: iv, sudo }
    if (user.trim()) req.user = user.trim()
    if (p !== undefined) req.port = p
    if (auth === 'password') req.password = password
    if (auth === 'key') {
      req.privateKey = privateKey
      if (passphrase) req.passphrase = passphrase
    }
    if (remember && (auth === 'password' || (auth === 'key' && passphrase))) req.remember = true
    if (statsSocket.trim()) req.haproxyStatsSocket = statsSocket.trim()
    if (statsUrl.trim()) req.haproxyStatsUrl = statsUrl.trim()
    setStartedHere(true)
    void start(req)
  }

  const running = take.status === 'running'
  return (
    <form className="connect" onSubmit={submit} aria-label="connect to a server" data-testid="connect-form">
      <h2>Snapshot a server</h2>
      <p className="muted">Read-only: sysctls, limits, kernel counters (sampled twice), listeners, HAProxy / nginx / php-fpm. Nothing is changed on the server.</p>
      <div className="form-grid">
        <label htmlFor={`${id}-host`}>host</label>
        <input id={`${id}-host`} list={`${id}-hosts`} value={host} onChange={(e) => setHost(e.target.value)} placeholder="alias from ~/.ssh/config, name or address" data-testid="connect-host" autoComplete="off" />
        <datalist id={`${id}-hosts`}>
          {hosts.map((h) => (
            <option key={h} value={h} />
          ))}
        </datalist>
        <label htmlFor={`${id}-user`}>user</label>
        <input id={`${id}-user`} value={user} onChange={(e) => setUser(e.target.value)} placeholder="from ~/.ssh/config" data-testid="connect-user" />
        <label htmlFor={`${id}-port`}>port</label>
        <input id={`${id}-port`} value={port} onChange={(e) => setPort(e.target.value)} placeholder="22" inputMode="numeric" data-testid="connect-port" />
        <label htmlFor={`${id}-auth`}>authentication</label>
        <select id={`${id}-auth`} value={auth} onChange={(e) => setAuth(e.target.value as typeof auth)} data-testid="connect-auth">
          <option value="default">ssh-agent and keys from ~/.ssh/config</option>
          <option value="password">password</option>
          <option value="key">private key</option>
        </select>
        {auth === 'password' ? (
          <>
            <label htmlFor={`${id}-pw`}>password</label>
            <input id={`${id}-pw`} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="off" data-testid="connect-password" />
          </>
        ) : null}
        {auth === 'key' ? (
          <>
            <label htmlFor={`${id}-key`}>private key</label>
            <div>
              <textarea id={`${id}-key`} rows={4} value={privateKey} onChange={(e) => setPrivateKey(e.target.value)} placeholder="-----BEGIN OPENSSH PRIVATE KEY-----" spellCheck={false} />
              <input
                type="file"
                aria-label="load a private key file"
                onChange={(e) => {
                  const f = e.target.files?.[0]
                  if (f) void f.text().then(setPrivateKey)
                }}
              />
            </div>
            <label htmlFor={`${id}-pp`}>passphrase</label>
            <input id={`${id}-pp`} type="password" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} autoComplete="off" />
          </>
        ) : null}
        {auth === 'password' || auth === 'key' ? (
          <>
            <label htmlFor={`${id}-rem`}>remember</label>
            <span>
              <input id={`${id}-rem`} type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> keep the password / passphrase in the OS keychain (desktop app only;
              never written in clear)
            </span>
          </>
        ) : null}
        <label htmlFor={`${id}-iv`}>counter sampling</label>
        <span>
          <input id={`${id}-iv`} className="knob-number narrow" value={interval} onChange={(e) => setIntervalS(e.target.value)} /> s between the two samples
        </span>
        <label htmlFor={`${id}-sudo`}>privileged reads</label>
        <span>
          <input id={`${id}-sudo`} type="checkbox" checked={sudo} onChange={(e) => setSudo(e.target.checked)} /> use <code>sudo -n</code> (never prompts)
        </span>
        <label htmlFor={`${id}-sock`}>HAProxy stats socket</label>
        <input id={`${id}-sock`} value={statsSocket} onChange={(e) => setStatsSocket(e.target.value)} placeholder="from haproxy.cfg" />
        <label htmlFor={`${id}-url`}>or stats URL</label>
        <input id={`${id}-url`} value={statsUrl} onChange={(e) => setStatsUrl(e.target.value)} placeholder="http://127.0.0.1:8404/stats;csv" />
      </div>
      <div className="run-bar">
        <button type="submit" className="primary" disabled={running} data-testid="connect-go">
          Take snapshot
        </button>
        {running ? (
          <>
            <progress max={1} value={take.progress} aria-label="snapshot progress" />
            <span className="muted">{take.stage ? STAGES[take.stage] : 'starting'}…</span>
            <button type="button" onClick={() => void cancel()}>
              Cancel
            </button>
          </>
        ) : null}
      </div>
      {error ? (
        <p className="error" role="alert">
          {error}
        </p>
      ) : null}
      {take.status === 'failed' ? (
        <div className="verdict hit" role="alert" data-testid="connect-failure">
          <strong>{take.failure.kind === 'hostkey-unknown' ? 'Unknown host key' : take.failure.kind === 'hostkey-changed' ? 'HOST KEY CHANGED: refused' : 'Snapshot failed'}</strong>
          <p>{take.failure.message}</p>
          {take.failure.kind === 'hostkey-unknown' && take.failure.hostKey ? (
            <p>
              {take.failure.hostKey.host}:{take.failure.hostKey.port} presents a {take.failure.hostKey.keyType} key with fingerprint <code data-testid="fingerprint">{take.failure.hostKey.fingerprint}</code>. Compare it with the server's
              own (<code>ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub</code> on the server) before trusting it.{' '}
              <button
                type="button"
                onClick={() => {
                  setStartedHere(true)
                  void trustAndRetry()
                }}
                data-testid="trust-host"
              >
                Trust this key and retry
              </button>
            </p>
          ) : null}
        </div>
      ) : null}
    </form>
  )
}
