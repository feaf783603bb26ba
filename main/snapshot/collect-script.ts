/**
 * The remote side of a snapshot: one fixed, READ-ONLY POSIX sh script run in ONE exec channel
 * of one SSH connection, in three phases, and the pure splitter of its output.
 *
 *   discover  host facts, /proc/sys, sysctl.d files, ulimit, HAProxy/nginx/php-fpm processes
 *             (status, cmdline, cgroup, limits, fd list), ss tables, versions
 *   configs   haproxy.cfg text, `nginx -T`, php-fpm pool files, systemd LimitNOFILE
 *             (paths found by `discover`, parsed in Node, handed back on stdin)
 *   sample    counters + `show info`/`show stat` now, sleep N s, counters + `show stat` again,
 *             status pages
 *
 * Security: the script is a constant. Nothing from the user or from the server is ever
 * spliced into script text: parameters arrive on stdin, one per line, are read with
 * `IFS= read -r` and only ever used inside double quotes as single arguments (never eval'd).
 * Each item is framed by markers carrying a random per-run nonce, so file contents cannot
 * forge a frame. Every item that can hang runs under `timeout` where the host has one.
 *
 * Frame:  \n@@NONCE@B name\n  stdout  \n@@NONCE@E rc\n  stderr  \n@@NONCE@Z\n
 * Phase n ends with \n@@NONCE@DONEn\n.
 */
import { SYSCTL_KEYS } from './schema'

const D = '${' // a literal "${" for sh parameter expansions inside String.raw templates

/** Common prologue: nonce, sudo flag, per-item timeout, locale, PATH, the framing helpers. */
const PROLOGUE = String.raw`
IFS= read -r HR_N || exit 90
IFS= read -r HR_SUDO || HR_SUDO=0
IFS= read -r HR_TO || HR_TO=10
case "$HR_TO" in ""|*[!0-9]*) HR_TO=10;; esac
LC_ALL=C; LANG=C; export LC_ALL LANG
PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"; export PATH
exec 3>&1
HR_T=""
if timeout -k 1 5 true >/dev/null 2>&1; then HR_T="timeout -k 1 $HR_TO"; fi
hr_frame() { printf "\n@@%s@B %s\n" "$HR_N" "$1"; }
hr_end() { printf "\n@@%s@E %s\n%s\n@@%s@Z\n" "$HR_N" "$1" "$2" "$HR_N"; }
hr() {
  hr_name=$1; shift
  hr_frame "$hr_name"
  hr_err=$( { $HR_T "$@" </dev/null; } 2>&1 >&3 3>&- )
  hr_end $? "$hr_err"
}
# hrr NAME FILE: a plain file read (one fork instead of three): for /proc and /etc files,
# which cannot hang. Not the read builtin of sh: it reads byte by byte, and /proc/sys
# files return only their first byte to such reads.
hrr() {
  hr_frame "$1"
  if [ ! -e "$2" ]; then hr_end 1 "$2: No such file or directory"; return; fi
  if cat -- "$2" 2>/dev/null </dev/null; then hr_end 0 ""; else hr_end 1 "$2: cannot read it (permission denied or I/O error)"; fi
}
hrf() {
  hr_name=$1; shift
  hr_frame "$hr_name"
  hr_err=$( { "$@" </dev/null; } 2>&1 >&3 3>&- )
  hr_end $? "$hr_err"
}
S=""
if [ "$HR_SUDO" = 1 ]; then
  if sudo -n true >/dev/null 2>&1 </dev/null; then S="sudo -n"; else
    hr_frame sudo; hr_end 1 "$(sudo -n true 2>&1 </dev/null)"
  fi
fi
`

const sysctlLines = SYSCTL_KEYS.map((k) => `hrr "sysctl ${k}" /proc/sys/${k.replace(/\./g, '/')}`).join('\n')

/** Phase 1: discovery (no parameters beyond the prologue's). */
const DISCOVER = String.raw`
hrr hostname /proc/sys/kernel/hostname
hrr kernel /proc/sys/kernel/osrelease
if [ -r /etc/os-release ]; then hrr os-release /etc/os-release; else hrr os-release /usr/lib/os-release; fi
hr_cpus() { getconf _NPROCESSORS_ONLN 2>/dev/null || grep -c "^processor" /proc/cpuinfo; }
hrf cpus hr_cpus
hrr meminfo /proc/meminfo
hrr uptime /proc/uptime
${sysctlLines}
for f in /etc/sysctl.d/*.conf /run/sysctl.d/*.conf /usr/local/lib/sysctl.d/*.conf /usr/lib/sysctl.d/*.conf /lib/sysctl.d/*.conf /etc/sysctl.conf; do
  [ -e "$f" ] && hrr "sysctlconf $f" "$f"
done
hr_ulimit() { ulimit -n; ulimit -Hn; }
hrf ulimit hr_ulimit
hr_cmdline() { tr "\000" "\n" < "/proc/$1/cmdline"; }
for d in /proc/[0-9]*; do
  p=${D}d#/proc/}
  { IFS= read -r c < "$d/comm"; } 2>/dev/null || continue
  case "$c" in
    haproxy*|nginx*|php-fpm*)
      hrr "proc $p status" "$d/status"
      hrf "proc $p cmdline" hr_cmdline "$p"
      hrr "proc $p cgroup" "$d/cgroup"
      if [ -n "$S" ]; then hr "proc $p limits" $S cat "$d/limits"; else hrr "proc $p limits" "$d/limits"; fi
      hr "proc $p fd" $S ls -1 "$d/fd"
      hr "proc $p exe" $S readlink "$d/exe"
      ;;
  esac
done
if command -v ss >/dev/null 2>&1; then
  hr ss-listen $S ss -ltnp
  hr ss-unix $S ss -lxp
  hr ss-all ss -tan
else
  hr ss-listen ss -ltnp
  hr proc-net-tcp cat /proc/net/tcp /proc/net/tcp6
fi
hr haproxy-v haproxy -v
hr_ngv() { nginx -v 2>&1; }
hrf nginx-v hr_ngv
hr_phpv() {
  for b in php-fpm php-fpm8.4 php-fpm8.3 php-fpm8.2 php-fpm8.1 php-fpm8.0 php-fpm7.4 php-fpm7.3 php-fpm7.2 php-fpm7.1 php-fpm7.0 php5-fpm; do
    if command -v "$b" >/dev/null 2>&1; then "$b" -v; return $?; fi
  done
  echo "php-fpm: command not found" >&2; return 127
}
hrf php-fpm-v hr_phpv
printf "\n@@%s@DONE1\n" "$HR_N"
`

/**
 * Phase 2 stdin after the prologue lines: haproxy config paths (files or directories, in
 * -f order, separated by the unit separator \x1f; may be empty), nginx binary (may be empty), nginx conf for -c (may be empty), php-fpm conf path
 * (may be empty), systemd units separated by commas.
 */
const CONFIGS = String.raw`
IFS= read -r HR_HCFG
IFS= read -r HR_NGX
IFS= read -r HR_NGXC
IFS= read -r HR_FPMC
IFS= read -r HR_UNITS
# HAProxy reads every -f in order (files, or directories of *.cfg): the same here. One file
# is passed through as is; several get "# @@file PATH" comment lines between them.
hr_hcfg() {
  hr_n=0; for x in "$@"; do hr_n=$((hr_n + 1)); [ -d "$x" ] && hr_n=$((hr_n + 1)); done
  for x in "$@"; do
    if [ -d "$x" ]; then
      for f in "$x"/*.cfg; do [ -f "$f" ] && { printf "# @@file %s\n" "$f"; $S cat "$f" || return $?; }; done
    else
      [ "$hr_n" -gt 1 ] && printf "# @@file %s\n" "$x"
      $S cat "$x" || return $?
    fi
  done
  return 0
}
if [ -n "$HR_HCFG" ]; then
  hr_ifs=$IFS; IFS=$(printf "\037"); set -f
  set -- $HR_HCFG
  set +f; IFS=$hr_ifs
  hrf haproxy-cfg hr_hcfg "$@"
fi
hr_nginxT() {
  n="$HR_NGX"; [ -n "$n" ] || n=nginx
  if [ -n "$HR_NGXC" ]; then $S "$n" -T -c "$HR_NGXC"; else $S "$n" -T; fi
}
if [ -n "$HR_NGX" ] || command -v nginx >/dev/null 2>&1; then hrf nginx-T hr_nginxT; fi
hr_fpm() {
  c="$HR_FPMC"
  if [ -z "$c" ]; then
    for x in /etc/php-fpm.conf /etc/php/*/fpm/php-fpm.conf /usr/local/etc/php-fpm.conf /opt/remi/php*/root/etc/php-fpm.conf; do
      [ -f "$x" ] && { c=$x; break; }
    done
  fi
  [ -n "$c" ] || { echo "php-fpm.conf: No such file or directory" >&2; return 2; }
  printf "# @@file %s\n" "$c"; $S cat "$c" || return $?
  for inc in $($S sed -n "s/^[[:space:]]*include[[:space:]]*=[[:space:]]*//p" "$c"); do
    case "$inc" in /*) ;; *) inc="${D}c%/*}/$inc";; esac
    for f in $inc; do [ -f "$f" ] && { printf "# @@file %s\n" "$f"; $S cat "$f"; }; done
  done
}
if [ -n "$HR_FPMC" ] || command -v php-fpm >/dev/null 2>&1 || ls /etc/php/*/fpm/php-fpm.conf >/dev/null 2>&1 || [ -f /etc/php-fpm.conf ]; then hrf php-fpm-conf hr_fpm; fi
if [ -n "$HR_UNITS" ]; then
  rest="$HR_UNITS"
  while [ -n "$rest" ]; do
    u=${D}rest%%,*}; if [ "$u" = "$rest" ]; then rest=""; else rest=${D}rest#*,}; fi
    [ -n "$u" ] && hr "systemd $u" systemctl show -p LimitNOFILE,LimitNOFILESoft -- "$u"
  done
fi
printf "\n@@%s@DONE2\n" "$HR_N"
`

/**
 * Phase 3 stdin after the prologue lines: sample interval (integer seconds), HAProxy stats
 * socket path (may be empty), HAProxy stats CSV URL (may be empty), nginx stub_status URL,
 * php-fpm status URL (may be empty).
 */
const SAMPLE = String.raw`
IFS= read -r HR_IV
IFS= read -r HR_SOCK
IFS= read -r HR_SURL
IFS= read -r HR_NURL
IFS= read -r HR_PURL
case "$HR_IV" in ""|*[!0-9]*) HR_IV=5;; esac
HR_PL="\$s = IO::Socket::UNIX->new(Peer => \$ARGV[0]) or die \"connect \$ARGV[0]: \$!\\n\"; print \$s \"\$ARGV[1]\\n\"; print while <\$s>;"
HR_PY="import socket,sys;s=socket.socket(socket.AF_UNIX);s.connect(sys.argv[1]);s.sendall((sys.argv[2]+chr(10)).encode());sys.stdout.write(s.makefile().read())"
HR_PLT="\$s = IO::Socket::INET->new(PeerAddr => \$ARGV[0], Timeout => 5) or die \"connect \$ARGV[0]: \$!\\n\"; print \$s \"\$ARGV[1]\\n\"; print while <\$s>;"
HR_PYT="import socket,sys;h,p=sys.argv[1].rsplit(chr(58),1);s=socket.create_connection((h.strip(chr(91)+chr(93)),int(p)),5);s.sendall((sys.argv[2]+chr(10)).encode());sys.stdout.write(s.makefile().read())"
hr_url() {
  if command -v curl >/dev/null 2>&1; then hr "$1" curl -fsS --max-time "$HR_TO" -- "$2"
  elif command -v wget >/dev/null 2>&1; then hr "$1" wget -q -T "$HR_TO" -O - -- "$2"
  else hr "$1" sh -c "echo curl/wget: command not found >&2; exit 127"; fi
}
hr_q() {
  case "$HR_SOCK" in
  tcp:*)
    if command -v perl >/dev/null 2>&1; then hr "$1" perl -MIO::Socket::INET -e "$HR_PLT" "${D}HR_SOCK#tcp:}" "$2"
    elif command -v python3 >/dev/null 2>&1; then hr "$1" python3 -c "$HR_PYT" "${D}HR_SOCK#tcp:}" "$2"
    else hr "$1" sh -c "echo perl/python3: command not found, cannot talk to the stats socket >&2; exit 127"; fi
    return;;
  esac
  if [ -n "$HR_SOCK" ]; then
    if command -v perl >/dev/null 2>&1; then hr "$1" $S perl -MIO::Socket::UNIX -e "$HR_PL" "$HR_SOCK" "$2"
    elif command -v python3 >/dev/null 2>&1; then hr "$1" $S python3 -c "$HR_PY" "$HR_SOCK" "$2"
    else hr "$1" sh -c "echo perl/python3: command not found, cannot talk to the stats socket >&2; exit 127"; fi
  elif [ -n "$HR_SURL" ] && [ "$2" = "show stat" ]; then hr_url "$1" "$HR_SURL"
  fi
}
hr_counters() {
  hrr "counters$1 uptime" /proc/uptime
  hrr "counters$1 netstat" /proc/net/netstat
  hrr "counters$1 snmp" /proc/net/snmp
}
hr_counters 1
hr_q haproxy-info "show info"
hr_q haproxy-stat1 "show stat"
if [ -n "$HR_NURL" ]; then hr_url nginx-status "$HR_NURL"; fi
if [ -n "$HR_PURL" ]; then hr_url php-fpm-status "$HR_PURL"; fi
sleep "$HR_IV"
hr_counters 2
hr_q haproxy-stat2 "show stat"
printf "\n@@%s@DONE3\n" "$HR_N"
`

/**
 * The whole collector: one exec channel, so one SSH session setup (sshd + PAM cost ~0.1-0.3 s
 * per channel). Node reads each phase's output up to its `@@NONCE@DONEn` marker, plans the
 * next phase and writes that phase's parameters on stdin, which the script is blocked reading.
 * Every command inside runs with stdin from /dev/null, so only the script reads parameters.
 */
export const COLLECTOR_SCRIPT = PROLOGUE + DISCOVER + CONFIGS + SAMPLE

/** The exec command for a script: it is a constant, so quoting it once here is safe. */
export function scriptCommand(script: string): string {
  if (script.includes("'")) throw new Error('collector scripts must not contain single quotes')
  return `/bin/sh -c '${script}'`
}

/** Items split out of a script's output. */
export interface RawSection {
  /** stdout of the item (one framing newline removed). */
  out: string
  /** Exit status; null when the frame never closed (connection lost, timeout, cancel). */
  rc: number | null
  err: string
}
export interface RawPhase {
  sections: Map<string, RawSection>
  /** The last phase marker seen (0: none, 3: the script finished). */
  done: number
}

/** Split a script's stdout into its framed items (pure; tolerant of a truncated stream). */
export function splitSections(stdout: string, nonce: string): RawPhase {
  const sections = new Map<string, RawSection>()
  const B = `@@${nonce}@B `
  const E = `@@${nonce}@E `
  const Z = `@@${nonce}@Z`
  const DONE = `@@${nonce}@DONE`
  type Cur = { name: string; out: string[]; err: string[]; rc: number | null; inErr: boolean }
  let cur: Cur | null = null
  let done = 0
  // The frame writes "\n" before each marker: drop that one empty line from the text before it.
  const trimOne = (a: string[]): string[] => (a.length && a[a.length - 1] === '' ? a.slice(0, -1) : a)
  const save = (c: Cur, complete: boolean): void => {
    sections.set(c.name, { out: trimOne(c.out).join('\n'), rc: complete ? c.rc : null, err: c.err.join('\n') })
  }
  for (const line of stdout.split('\n')) {
    if (line.startsWith(B)) {
      if (cur) save(cur, false)
      cur = { name: line.slice(B.length), out: [], err: [], rc: null, inErr: false }
    } else if (cur && !cur.inErr && line.startsWith(E)) {
      const rc = Number(line.slice(E.length))
      cur.rc = Number.isInteger(rc) ? rc : 1
      cur.inErr = true
    } else if (cur && cur.inErr && line === Z) {
      save(cur, true)
      cur = null
    } else if (line.startsWith(DONE) && /^[123]$/.test(line.slice(DONE.length))) {
      done = Math.max(done, Number(line.slice(DONE.length)))
    } else if (cur) {
      if (cur.inErr) cur.err.push(line)
      else cur.out.push(line)
    }
  }
  if (cur) save(cur, false)
  return { sections, done }
}
