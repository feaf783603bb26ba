/**
 * Secrets in configuration texts never reach a snapshot: each is replaced by <redacted:N>
 * (N = its line in its own file), the rest of the line and every other line stay as they were,
 * and the sha256 of the unredacted file is kept for apply.sh.
 */
import { describe, expect, it } from 'vitest'
import { normSha, redactHaproxyCfg, redactNginxT, redactPhpFpm } from '../../../main/snapshot/redact'
import { splitNginxT } from '../../../main/plan/config-edit'

describe('redact haproxy.cfg', () => {
  const cfg = [
    'global',
    '    maxconn 2000',
    '    # stats auth commented:out-is-not-a-secret',
    'listen stats',
    '    bind :8404',
    '    stats enable',
    '    stats auth admin:s3cr3t!',
    'userlist ops',
    '    user alice password $6$salt$hashhashhash',
    '    user bob insecure-password hunter2 groups g1',
    'backend api',
    '    http-request set-header Authorization "Basic YWxhZGRpbjpvcGVu"',
    '    server s1 10.0.0.1:80 check maxconn 100',
    ''
  ].join('\n')
  const r = redactHaproxyCfg(cfg)
  it('replaces every secret by <redacted:N> with its own line number and keeps the directive', () => {
    const out = r.text.split('\n')
    expect(out[6]).toBe('    stats auth admin:<redacted:7>')
    expect(out[8]).toBe('    user alice password <redacted:9>')
    expect(out[9]).toBe('    user bob insecure-password <redacted:10> groups g1')
    expect(out[11]).toBe('    http-request set-header Authorization <redacted:12>')
    expect(r.lines).toEqual([7, 9, 10, 12])
    for (const secret of ['s3cr3t', 'hashhashhash', 'hunter2', 'YWxhZGRpbjpvcGVu']) expect(r.text).not.toContain(secret)
  })
  it('leaves every other line alone, comments included, and keeps the line count', () => {
    const a = cfg.split('\n')
    const b = r.text.split('\n')
    expect(b).toHaveLength(a.length)
    for (let i = 0; i < a.length; i++) if (!r.lines.includes(i + 1)) expect(b[i]).toBe(a[i])
  })
  it('records the sha256 of the unredacted text, normalized as apply.sh does', () => {
    expect(r.sha256).toBe(normSha(cfg))
    expect(r.sha256).toBe(normSha(cfg.replace(/\n/g, '  \n') + '\n\n'))
    expect(r.sha256).not.toBe(normSha(r.text))
  })
  it('a config without secrets comes back unchanged', () => {
    const plain = 'global\n    maxconn 10\nfrontend fe\n    bind :80\n    default_backend be\n'
    expect(redactHaproxyCfg(plain).text).toBe(plain)
    expect(redactHaproxyCfg(plain).lines).toEqual([])
  })
})

describe('redact nginx -T', () => {
  const dump = [
    'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok',
    '# configuration file /etc/nginx/nginx.conf:',
    'events { worker_connections 768; }',
    'http {',
    '    include /etc/nginx/sites-enabled/*;',
    '}',
    '',
    '# configuration file /etc/nginx/sites-enabled/app:',
    'server {',
    '    listen 80 backlog=511;',
    '    location /api {',
    '        proxy_set_header Authorization "Bearer abc.def.ghi";',
    '        fastcgi_param DB_PASSWORD topsecret;',
    '        auth_basic_user_file /etc/nginx/htpasswd;',
    '    }',
    '}',
    ''
  ].join('\n')
  const r = redactNginxT(dump)
  it('numbers lines within each file and keeps directive and parameter names', () => {
    const files = splitNginxT(r.text)
    const app = files.find((f) => f.path === '/etc/nginx/sites-enabled/app')!.text.split('\n')
    expect(app[3]).toBe('        proxy_set_header Authorization <redacted:4>;')
    expect(app[4]).toBe('        fastcgi_param DB_PASSWORD <redacted:5>;')
    expect(app[5]).toBe('        auth_basic_user_file /etc/nginx/htpasswd;') // a path, not a secret
    expect(r.lines).toBe(2)
    expect(r.text).not.toContain('abc.def.ghi')
    expect(r.text).not.toContain('topsecret')
  })
  it('keeps the sha256 of each unredacted file, split as the plan splits nginx -T', () => {
    for (const f of splitNginxT(dump)) expect(r.fileSha256[f.path]).toBe(normSha(f.text))
  })
})

describe('redact php-fpm pool files', () => {
  it('redacts env[] and php values whose names are secrets', () => {
    const pool = ['[www]', 'pm.max_children = 4', 'env[DB_PASSWORD] = p@ss', 'php_admin_value[mail.api_key] = k-123', '; env[OLD_TOKEN] = commented', 'listen = /run/php/fpm.sock', ''].join('\n')
    const r = redactPhpFpm(pool)
    expect(r.text.split('\n')).toEqual(['[www]', 'pm.max_children = 4', 'env[DB_PASSWORD] = <redacted:3>', 'php_admin_value[mail.api_key] = <redacted:4>', '; env[OLD_TOKEN] = commented', 'listen = /run/php/fpm.sock', ''])
    expect(r.sha256).toBe(normSha(pool))
  })
})

describe('configs in several files', () => {
  it('numbers lines within each file after a # @@file marker', () => {
    const t = 'global\n    maxconn 1\n# @@file /etc/haproxy/conf.d/a.cfg\nlisten s\n    stats auth u:pw\n'
    const r = redactHaproxyCfg(t)
    expect(r.text.split('\n')[4]).toBe('    stats auth u:<redacted:2>')
    expect(r.lines).toEqual([5])
  })
})
