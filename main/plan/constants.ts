/** Where the plan puts kernel settings: a sysctl.d drop-in (applied by `sysctl --system` and at boot). */
export const SYSCTL_DROPIN = '/etc/sysctl.d/90-headroom.conf'
