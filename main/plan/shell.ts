/**
 * Shell quoting and identifier checks for the generated scripts. Every value in a script
 * comes from a snapshot of a remote server and is treated as hostile: values are
 * single-quoted (the only quoting with no expansion at all), paths and unit names must have
 * a plain shape, and free text put in comments loses its control characters. PURE.
 */

/** POSIX single-quote a string: 'it'\''s' (no expansion of $, `, \, !, newlines). */
export function shq(s: string): string {
  if (s.includes('\0')) throw new Error('value contains a NUL byte')
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** Text safe for a `#` comment line or a config comment: one line, printable. */
export function commentText(s: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const one = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim()
  return one.length > max ? one.slice(0, max - 1) + '…' : one
}

/** An absolute path without `..` segments or control characters (else a clear error). */
export function checkAbsPath(p: string, what: string): string {
  // eslint-disable-next-line no-control-regex
  if (!p.startsWith('/') || /[\u0000-\u001f\u007f]/.test(p) || p.split('/').some((seg) => seg === '..') || p.length > 4096) {
    throw new Error(`${what} ${JSON.stringify(p)} is not a plain absolute path`)
  }
  return p
}

/** A systemd service unit name (`haproxy.service`, `php7.4-fpm.service`, `haproxy@main.service`). */
export function checkUnit(u: string): string {
  if (!/^[A-Za-z0-9:_.@\\-]{1,200}\.service$/.test(u)) throw new Error(`unit name ${JSON.stringify(u)} is not a plain systemd service name`)
  return u
}

/** A sysctl key as the kernel spells it (letters, digits, _ - and dots). */
export function checkSysctlKey(k: string): string {
  if (!/^[a-z0-9_-]+(\.[a-z0-9_-]+)+$/.test(k)) throw new Error(`sysctl key ${JSON.stringify(k)} is not a plain key`)
  return k
}

/** A sysctl value the plan writes: integers separated by single spaces. */
export function checkSysctlValue(v: string): string {
  if (!/^-?\d+( -?\d+)*$/.test(v)) throw new Error(`sysctl value ${JSON.stringify(v)} is not a list of integers`)
  return v
}

/** A here-document delimiter that does not occur as a line of `content`. */
export function heredocDelimiter(content: string, base = 'HEADROOM_EOF'): string {
  const lines = new Set(content.split('\n'))
  let d = base
  for (let i = 1; lines.has(d); i++) d = `${base}_${i}`
  return d
}
