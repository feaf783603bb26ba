/**
 * Why the plan restarts HAProxy for a new backlog: run the real HAProxy (master-worker, as
 * Debian's unit starts it) in a throwaway network namespace, raise somaxconn and the bind
 * backlog, reload, and read `ss` Send-Q: the reloaded listener keeps its old backlog.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { canNetns, haveTool } from './tools'

const enabled = canNetns() && haveTool('haproxy') && haveTool('ss')
const dir = mkdtempSync(join(tmpdir(), 'headroom-reload-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const cfg = (backlog: number): string => `global
    stats socket ${dir}/s.sock mode 600 expose-fd listeners level admin
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:18080 backlog ${backlog}
    default_backend be
backend be
    server s1 127.0.0.1:19000
`

describe.skipIf(!enabled)('HAProxy reload and the listen backlog', () => {
  it('a master-worker reload keeps the old Send-Q; a restart applies the new one', () => {
    writeFileSync(join(dir, 'old.cfg'), cfg(100))
    writeFileSync(join(dir, 'new.cfg'), cfg(2000))
    const script = `
set -e
trap 'kill $(cat "$D/pid" "$D/pid2" 2>/dev/null) 2>/dev/null || true' EXIT
ip link set lo up
sysctl -qw net.core.somaxconn=128
cp "$D/old.cfg" "$D/cur.cfg"
haproxy -W -D -f "$D/cur.cfg" -p "$D/pid"
sleep 0.5
echo "start $(ss -Hltn 'sport = :18080' | awk '{print $3}')"
sysctl -qw net.core.somaxconn=4096
cp "$D/new.cfg" "$D/cur.cfg"
kill -USR2 $(cat "$D/pid")
sleep 1
echo "reload $(ss -Hltn 'sport = :18080' | awk '{print $3}')"
kill $(cat "$D/pid")
i=0; while [ -n "$(ss -Hltn 'sport = :18080')" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
haproxy -W -D -f "$D/cur.cfg" -p "$D/pid2"
sleep 0.5
echo "restart $(ss -Hltn 'sport = :18080' | awk '{print $3}')"
`
    const r = spawnSync('timeout', ['30', 'unshare', '-n', 'sh', '-c', script], { encoding: 'utf8', env: { ...process.env, D: dir } })
    expect(r.status, r.stderr).toBe(0)
    const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split(' ')))
    expect(got).toEqual({ start: '100', reload: '100', restart: '2000' })
  })
})
