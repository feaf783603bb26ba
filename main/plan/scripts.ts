/**
 * apply.sh / rollback.sh generation (POSIX sh). Design:
 *  - ROOT prefix (first argument or HEADROOM_ROOT) for every file read or written, so a test
 *    (or a chroot) never touches the real /etc; live kernel values go through `sysctl -w`,
 *    which is per network namespace for net.*;
 *  - validate first: the new haproxy.cfg passes `haproxy -c -f` and every edited file still
 *    matches the snapshot's text before anything changes;
 *  - record once: previous sysctl values and files go to a state directory the first time;
 *    re-running apply changes nothing more (idempotent) and rollback restores those records;
 *  - reload what must call listen() again for a new backlog to take effect;
 *  - every value is single-quoted (snapshots come from remote servers: hostile input).
 * Service commands are overridable (HEADROOM_SYSTEMCTL, HEADROOM_HAPROXY, HEADROOM_NGINX,
 * HEADROOM_PHPFPM) so the scripts can run in a sandbox.
 */
import { checkAbsPath, checkSysctlKey, checkSysctlValue, checkUnit, commentText, heredocDelimiter, shq } from './shell'

export interface ScriptSysctl {
  key: string
  value: string
}

export interface ScriptFile {
  /** Absolute target path on the server. */
  target: string
  content: string
  /** sha256 of the snapshot's text (normalized: trailing spaces and blank lines dropped); null = new file. */
  originalSha: string | null
  /**
   * sha256 of the new content, same normalization; null when the content carries `<redacted:N>`
   * lines: apply.sh restores them from line N of the live file before validating, and only the
   * installed file has a known sha (recorded in the state dir).
   */
  newSha: string | null
  validate: 'haproxy' | 'nginx' | 'php-fpm' | null
}

export interface ScriptOverride {
  /** A later sysctl file whose line for `key` would override the drop-in at boot. */
  file: string
  key: string
}

export interface ScriptInput {
  planId: string
  title: string
  sysctls: ScriptSysctl[]
  /** The drop-in text (/etc/sysctl.d/90-headroom.conf), when sysctls change. */
  sysctlDropIn: { target: string; content: string } | null
  overrides: ScriptOverride[]
  files: ScriptFile[]
  /** Units: null when the plan does not touch them. */
  haproxy: { unit: string; action: 'reload' | 'restart' } | null
  nginx: { unit: string; action: 'reload' | 'restart' } | null
  phpFpm: { unit: string; action: 'reload' | 'restart' } | null
  /**
   * Every HAProxy config file in -f order, when the plan writes one of them: `haproxy -c` gets
   * them all (the new version of each file the plan changes). Default: the written files.
   */
  haproxyConfigFiles?: string[]
  /**
   * Each `-f` directory and the *.cfg files the snapshot read from it (in `haproxyConfigFiles`):
   * before its check apply.sh refuses if the directory's *.cfg files are no longer those, since
   * HAProxy would then load a config the check did not see.
   */
  haproxyConfigDirs?: { dir: string; files: string[] }[]
  /** The php-fpm binary (`php-fpm`, Debian's `php-fpm8.2`), from the snapshot's process name. */
  phpFpmBin?: string
  daemonReload: boolean
}

function prelude(p: ScriptInput): string {
  const bin = p.phpFpmBin && /^php-?fpm[0-9.]*$/.test(p.phpFpmBin) ? p.phpFpmBin : 'php-fpm'
  return PRELUDE.replace('@PHPFPM@', bin)
}

const PRELUDE = `set -eu
ROOT="\${1:-\${HEADROOM_ROOT:-}}"
ROOT="\${ROOT%/}"
SYSTEMCTL="\${HEADROOM_SYSTEMCTL:-systemctl}"
HAPROXY_BIN="\${HEADROOM_HAPROXY:-haproxy}"
NGINX_BIN="\${HEADROOM_NGINX:-nginx}"
PHPFPM_BIN="\${HEADROOM_PHPFPM:-@PHPFPM@}"
umask 022
log() { printf 'headroom: %s\\n' "$*"; }
die() { printf 'headroom: ERROR: %s\\n' "$*" >&2; exit 1; }
# sha256 of a file with trailing spaces and trailing blank lines dropped (as the plan computed it)
norm_sha() {
  sed -e 's/[[:space:]]*$//' "$1" | awk '{ l[NR] = $0 } END { n = NR; while (n > 0 && l[n] == "") n--; for (i = 1; i <= n; i++) print l[i] }' | sha256sum | cut -c1-64
}
proc_path() { printf '/proc/sys/%s' "$(printf '%s' "$1" | tr . /)"; }
# put the secrets the snapshot redacted back: a line of NEW holding <redacted:N> becomes line N
# of the live file (checked unchanged since the snapshot before this runs)
restore_redacted() { # new live
  awk 'NR == FNR { l[FNR] = $0; next } { if (match($0, /<redacted:[0-9]+>/)) { n = substr($0, RSTART + 10, RLENGTH - 11) + 0; if (!(n in l)) exit 3; print l[n] } else print }' "$2" "$1" > "$1.tmp" && mv "$1.tmp" "$1"
}
`

/**
 * `-f` arguments for `haproxy -c`: every config file in order (`haproxyConfigFiles`, else the
 * haproxy files the plan writes); `staged(path)` names the file id whose HPF_ variable holds
 * the version to check, or null for the installed file under ROOT.
 */
function haproxyArgs(p: ScriptInput, staged: (path: string) => string | null): string {
  const written = p.files.filter((f) => f.validate === 'haproxy').map((f) => f.target)
  const list = p.haproxyConfigFiles?.length ? [...p.haproxyConfigFiles, ...written.filter((t) => !p.haproxyConfigFiles!.includes(t))] : written
  return list
    .map((path) => {
      const id = staged(path)
      return id ? `-f "$HPF_${id}"` : `-f "$ROOT"${shq(checkAbsPath(path, 'haproxy config file'))}`
    })
    .join(' ')
}

function fileId(i: number): string {
  return `f${i + 1}`
}

/** Generate apply.sh. */
export function applyScript(p: ScriptInput): string {
  const out: string[] = []
  const stateDir = `"$ROOT"${shq(`/var/lib/headroom/${p.planId}`)}`
  out.push('#!/bin/sh')
  out.push(`# Headroom tuning plan ${commentText(p.planId)}: ${commentText(p.title)}`)
  out.push('# Usage: sh apply.sh [ROOT]   (ROOT prefixes every file path; default: the real /)')
  out.push('# Idempotent: previous values are recorded once in $ROOT/var/lib/headroom/<plan>; rollback.sh restores them.')
  out.push(prelude(p))
  out.push(`STATE_DIR=${stateDir}`)
  out.push('CHANGED_HAPROXY=0; CHANGED_NGINX=0; CHANGED_PHPFPM=0; CHANGED_UNITS=0; CHANGED_SYSCTL=0')
  out.push('')
  out.push('# ---- 1. validate before changing anything')
  p.files.forEach((f, i) => {
    const id = fileId(i)
    const target = `"$ROOT"${shq(checkAbsPath(f.target, 'file'))}`
    const delim = heredocDelimiter(f.content)
    out.push(`NEW_${id}="$ROOT"${shq(f.target + '.headroom-new')}`)
    out.push(`mkdir -p "$(dirname "$NEW_${id}")"`)
    out.push(`cat > "$NEW_${id}" <<'${delim}'`)
    out.push(f.content.endsWith('\n') ? f.content.slice(0, -1) : f.content)
    out.push(delim)
    out.push(`STATE_${id}=pending`)
    if (f.newSha !== null) out.push(`if [ -e ${target} ] && [ "$(norm_sha ${target})" = ${shq(f.newSha)} ]; then`)
    // with redacted secrets the new file's sha is only known once installed: apply.sh records it
    else out.push(`if [ -e ${target} ] && [ -e "$STATE_DIR/files/${id}.applied" ] && [ "$(norm_sha ${target})" = "$(cat "$STATE_DIR/files/${id}.applied")" ]; then`)
    out.push(`  STATE_${id}=done; rm -f "$NEW_${id}"; log ${shq(`${f.target}: already applied`)}`)
    if (f.originalSha) {
      out.push(`elif [ ! -e ${target} ]; then`)
      out.push(`  rm -f "$NEW_${id}"; die ${shq(`${f.target} does not exist; the plan was built for a server that has it`)}`)
      out.push(`elif [ "$(norm_sha ${target})" != ${shq(f.originalSha)} ]; then`)
      out.push(`  rm -f "$NEW_${id}"; die ${shq(`${f.target} changed since the snapshot; take a new snapshot and rebuild the plan (nothing was changed)`)}`)
    }
    out.push('fi')
    if (f.newSha === null) {
      out.push(`if [ "$STATE_${id}" = pending ]; then`)
      out.push(`  restore_redacted "$NEW_${id}" ${target} || { rm -f "$NEW_${id}" "$NEW_${id}.tmp"; die ${shq(`${f.target}: could not restore the lines the snapshot redacted; nothing was changed`)}; }`)
      out.push('fi')
    }
  })
  const hp = p.files.map((f, i) => ({ f, id: fileId(i) })).filter((x) => x.f.validate === 'haproxy')
  if (hp.length) {
    // one check of the whole config, as HAProxy reads it: every -f in order, each file the plan
    // changes in its new version (the installed one when it was already applied)
    const check = `"$NEW_${hp[0]!.id}.check"`
    out.push('HP_PENDING=0')
    for (const { f, id } of hp) {
      out.push(`if [ "$STATE_${id}" = pending ]; then HPF_${id}="$NEW_${id}"; HP_PENDING=1; else HPF_${id}="$ROOT"${shq(f.target)}; fi`)
    }
    const args = haproxyArgs(p, (path) => hp.find((x) => x.f.target === path)?.id ?? null)
    const staged = p.files.map((_, i) => `"$NEW_${fileId(i)}"`).join(' ')
    out.push('if [ "$HP_PENDING" = 1 ]; then')
    for (const d of p.haproxyConfigDirs ?? []) {
      // HAProxy loads a directory's *.cfg files in byte order (scandir + alphasort), as the C-locale glob lists them
      const dir = checkAbsPath(d.dir, 'haproxy config directory')
      const then = d.files.map((f) => checkAbsPath(f, 'haproxy config file')).join('\n')
      out.push(`  HP_DIR=${shq(dir)}`)
      out.push(`  HP_LS=$(LC_ALL=C; export LC_ALL; for x in "$ROOT$HP_DIR"/*.cfg; do [ -f "$x" ] && printf '%s\\n' "\${x#"$ROOT"}"; done; :)`)
      out.push(`  if [ "$HP_LS" != ${shq(then)} ]; then`)
      out.push(`    rm -f ${staged}`)
      out.push(`    die "$HP_DIR: its *.cfg files are not the ${d.files.length} the snapshot read (now: $(printf '%s' "$HP_LS" | tr '\\n' ' ')); HAProxy would load a config this plan did not check. Take a new snapshot and rebuild the plan (nothing was changed)"`)
      out.push('  fi')
    }
    out.push(`  if ! "$HAPROXY_BIN" -c ${args} >${check} 2>&1; then`)
    out.push(`    cat ${check} >&2; rm -f ${check} ${staged}`)
    out.push(`    die 'haproxy -c rejected the new haproxy.cfg; nothing was changed'`)
    out.push('  fi')
    out.push(`  rm -f ${check}; log ${shq(`haproxy -c: new ${hp.map((x) => x.f.target).join(', ')} ${hp.length > 1 ? 'are' : 'is'} valid`)}`)
    out.push('fi')
  }
  out.push('')
  out.push('# ---- 2. record previous values (first run only)')
  out.push('mkdir -p "$STATE_DIR/sysctl" "$STATE_DIR/files"')
  out.push(`record_sysctl() {
  [ -e "$STATE_DIR/sysctl/$1" ] || [ -e "$STATE_DIR/sysctl/$1.absent" ] && return 0
  if v=$(sysctl -n "$1" 2>/dev/null); then printf '%s\\n' "$v" > "$STATE_DIR/sysctl/$1"; else : > "$STATE_DIR/sysctl/$1.absent"; fi
}
record_file() { # id path
  [ -e "$STATE_DIR/files/$1.saved" ] && return 0
  if [ -e "$2" ]; then cp -p "$2" "$STATE_DIR/files/$1.orig"; fi
  printf '%s\\n' "$2" > "$STATE_DIR/files/$1.path"
  : > "$STATE_DIR/files/$1.saved"
}
install_file() { # new target: write through symlinks, keep owner and mode of an existing file
  mkdir -p "$(dirname "$2")"
  if [ -e "$2" ]; then cat "$1" > "$2"; rm -f "$1"; else mv "$1" "$2"; fi
}`)
  for (const s of p.sysctls) out.push(`record_sysctl ${shq(checkSysctlKey(s.key))}`)
  const recorded: string[] = []
  if (p.sysctlDropIn) recorded.push(p.sysctlDropIn.target)
  for (const o of p.overrides) if (!recorded.includes(o.file)) recorded.push(o.file)
  for (const f of p.files) recorded.push(f.target)
  recorded.forEach((path, i) => out.push(`record_file r${i + 1} "$ROOT"${shq(checkAbsPath(path, 'file'))}`))
  out.push(`printf '%s\\n' ${shq(p.planId)} > "$STATE_DIR/plan"`)
  out.push('')
  if (p.sysctlDropIn) {
    out.push('# ---- 3. kernel settings: drop-in for boot, sysctl -w for now')
    const dropIn = `"$ROOT"${shq(checkAbsPath(p.sysctlDropIn.target, 'file'))}`
    const delim = heredocDelimiter(p.sysctlDropIn.content)
    out.push(`mkdir -p "$(dirname ${dropIn})"`)
    out.push(`cat > ${dropIn}.headroom-new <<'${delim}'`)
    out.push(p.sysctlDropIn.content.replace(/\n$/, ''))
    out.push(delim)
    out.push(`install_file ${dropIn}.headroom-new ${dropIn}`)
    for (const o of p.overrides) {
      const f = `"$ROOT"${shq(checkAbsPath(o.file, 'sysctl file'))}`
      out.push(`# ${commentText(o.file)} sets ${o.key} later in sysctl --system order: comment it out`)
      out.push(`if [ -f ${f} ]; then`)
      out.push(
        `  K=${shq(checkSysctlKey(o.key))} awk '{ s = $0; sub(/^[ \\t]*-?/, "", s); k = s; sub(/=.*/, "", k); gsub(/[ \\t]/, "", k); gsub("/", ".", k); if (index(s, "=") > 0 && k == ENVIRON["K"]) print "# disabled by headroom plan: " $0; else print $0 }' ${f} > ${f}.headroom-new`
      )
      out.push(`  install_file ${f}.headroom-new ${f}`)
      out.push('fi')
    }
    for (const s of p.sysctls) {
      const k = shq(checkSysctlKey(s.key))
      const v = checkSysctlValue(s.value)
      out.push(`if [ -e "$(proc_path ${k})" ]; then`)
      out.push(`  cur=$(sysctl -n ${k} | tr -s ' \\t' '  ')`)
      out.push(`  if [ "$cur" != ${shq(v)} ]; then sysctl -q -w ${shq(`${s.key}=${v}`)} >/dev/null; CHANGED_SYSCTL=1; log ${shq(`${s.key} = ${v}`)}; fi`)
      if (v === '0') out.push(`else log ${shq(`${s.key}: not on this kernel (0 is what the plan wants)`)}; fi`)
      else out.push(`else log ${shq(`WARNING: ${s.key} does not exist on this kernel; not applied`)}; fi`)
    }
    out.push('')
  }
  if (p.files.length) {
    out.push('# ---- 4. configuration files')
    p.files.forEach((f, i) => {
      const id = fileId(i)
      const target = `"$ROOT"${shq(f.target)}`
      out.push(`if [ "$STATE_${id}" = pending ]; then`)
      out.push(`  install_file "$NEW_${id}" ${target}; log ${shq(`wrote ${f.target}`)}`)
      if (f.newSha === null) out.push(`  norm_sha ${target} > "$STATE_DIR/files/${id}.applied"`)
      const flag = f.validate === 'haproxy' ? 'CHANGED_HAPROXY' : f.validate === 'nginx' ? 'CHANGED_NGINX' : f.validate === 'php-fpm' ? 'CHANGED_PHPFPM' : 'CHANGED_UNITS'
      out.push(`  ${flag}=1`)
      out.push('fi')
    })
    out.push('')
  }
  out.push('# ---- 5. reload / restart what must call listen() again or re-read its limits')
  if (p.daemonReload) out.push('if [ "$CHANGED_UNITS" = 1 ]; then "$SYSTEMCTL" daemon-reload; log "systemctl daemon-reload"; fi')
  const svc = (s: { unit: string; action: string } | null, flag: string, check: string | null): void => {
    if (!s) return
    const unit = shq(checkUnit(s.unit))
    out.push(`if [ "${flag}" = 1 ] || [ "$CHANGED_SYSCTL" = 1 ] || [ "$CHANGED_UNITS" = 1 ]; then`)
    if (check) out.push(`  ${check}`)
    out.push(`  "$SYSTEMCTL" ${s.action} ${unit}; log ${shq(`systemctl ${s.action} ${s.unit}`)}`)
    out.push('fi')
  }
  const hpFile = p.files.find((f) => f.validate === 'haproxy')
  svc(p.haproxy, '$CHANGED_HAPROXY', hpFile ? `"$HAPROXY_BIN" -c ${haproxyArgs(p, () => null)} >/dev/null || die 'haproxy -c failed on the installed config; not reloading (run rollback.sh)'` : null)
  svc(p.nginx, '$CHANGED_NGINX', p.files.some((f) => f.validate === 'nginx') ? `"$NGINX_BIN" -t >/dev/null 2>&1 || die 'nginx -t failed; not reloading (run rollback.sh)'` : null)
  svc(p.phpFpm, '$CHANGED_PHPFPM', p.files.some((f) => f.validate === 'php-fpm') ? `"$PHPFPM_BIN" -t >/dev/null 2>&1 || die 'php-fpm -t failed; not restarting (run rollback.sh)'` : null)
  out.push('log "done; run the verification checklist of the plan (plan.md)"')
  return out.join('\n') + '\n'
}

/** Generate rollback.sh: restore every recorded sysctl and file, then reload the same services. */
export function rollbackScript(p: ScriptInput): string {
  const out: string[] = []
  out.push('#!/bin/sh')
  out.push(`# Roll back Headroom tuning plan ${commentText(p.planId)}: restores the values apply.sh recorded.`)
  out.push('# Usage: sh rollback.sh [ROOT]')
  out.push(prelude(p))
  out.push(`STATE_DIR="$ROOT"${shq(`/var/lib/headroom/${p.planId}`)}`)
  out.push('[ -d "$STATE_DIR" ] || die "no recorded state in $STATE_DIR: apply.sh was not run (nothing to roll back)"')
  out.push(`restore_file() { # id
  [ -e "$STATE_DIR/files/$1.saved" ] || return 0
  path=$(cat "$STATE_DIR/files/$1.path")
  if [ -e "$STATE_DIR/files/$1.orig" ]; then
    mkdir -p "$(dirname "$path")"
    if [ -e "$path" ]; then cat "$STATE_DIR/files/$1.orig" > "$path"; else cp -p "$STATE_DIR/files/$1.orig" "$path"; fi
  else
    rm -f "$path"
  fi
  log "restored $path"
}`)
  const n = (p.sysctlDropIn ? 1 : 0) + new Set(p.overrides.map((o) => o.file)).size + p.files.length
  for (let i = 0; i < n; i++) out.push(`restore_file r${i + 1}`)
  for (const s of p.sysctls) {
    const k = shq(checkSysctlKey(s.key))
    out.push(`if [ -e "$STATE_DIR/sysctl/"${k} ] && [ -e "$(proc_path ${k})" ]; then sysctl -q -w ${k}="$(cat "$STATE_DIR/sysctl/"${k})" >/dev/null; log "restored "${k}; fi`)
  }
  if (p.daemonReload) out.push('"$SYSTEMCTL" daemon-reload')
  const hpFile = p.files.find((f) => f.validate === 'haproxy')
  if (p.haproxy) {
    if (hpFile) out.push(`"$HAPROXY_BIN" -c ${haproxyArgs(p, () => null)} >/dev/null || log 'WARNING: haproxy -c fails on the restored config'`)
    out.push(`"$SYSTEMCTL" ${p.haproxy.action} ${shq(checkUnit(p.haproxy.unit))}`)
  }
  if (p.nginx) out.push(`"$SYSTEMCTL" ${p.nginx.action} ${shq(checkUnit(p.nginx.unit))}`)
  if (p.phpFpm) out.push(`"$SYSTEMCTL" ${p.phpFpm.action} ${shq(checkUnit(p.phpFpm.unit))}`)
  out.push('mv "$STATE_DIR" "$STATE_DIR.rolled-back.$(date +%Y%m%d%H%M%S)"')
  out.push('log "rollback done"')
  return out.join('\n') + '\n'
}
