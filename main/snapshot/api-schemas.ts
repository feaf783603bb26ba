/**
 * Boundary validation for the `snapshot.*` calls: one zod tuple per call for its arguments
 * (merged by the lead into main/api/schemas.ts). Strings that reach the remote host go to
 * the collector on stdin, never into a command line; still, newlines and NULs are refused
 * here so each parameter stays one line, and URLs must be http(s).
 */
import { z } from 'zod'

const id = z
  .string()
  .min(1, 'an id is required')
  .max(128, 'ids are at most 128 characters')
  .regex(/^[A-Za-z0-9._-]+$/, 'ids use letters, digits, dot, dash and underscore only')
const oneLine = (what: string, max = 1024) =>
  z
    .string()
    .max(max, `${what} is too long`)
    .refine((s) => !/[\r\n\0]/.test(s), `${what} must be one line`)
const hostName = oneLine('host', 255)
  .min(1, 'a host is required')
  .refine((s) => !s.startsWith('-'), 'a host cannot start with "-"')
const url = oneLine('URL', 2048).refine((s) => /^https?:\/\/[^\s]+$/.test(s), 'URLs must start with http:// or https://')
const absPath = oneLine('path', 4096).refine((s) => s.startsWith('/'), 'paths must be absolute')

const common = {
  user: oneLine('user', 64).min(1).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  sampleIntervalS: z.number().int().min(0).max(600).optional(),
  sudo: z.boolean().optional(),
  password: z.string().max(4096).optional(),
  privateKey: z.string().max(65536).optional(),
  passphrase: z.string().max(4096).optional(),
  haproxyConfigPath: absPath.optional(),
  haproxyStatsSocket: absPath.optional(),
  haproxyStatsUrl: url.optional(),
  nginxStatusUrl: url.optional(),
  phpFpmStatusUrl: url.optional(),
  commandTimeoutS: z.number().int().min(1).max(300).optional()
}

export const snapshotTakeRequestSchema = z
  .object({ host: hostName, name: oneLine('name', 200).optional(), remember: z.boolean().optional(), ...common })
  .strict()

export const snapshotFleetRequestSchema = z
  .object({
    hosts: z.array(hostName).max(1000).optional(),
    pattern: oneLine('pattern', 255).optional(),
    concurrency: z.number().int().min(1).max(32).optional(),
    ...common
  })
  .strict()
  .refine((r) => (r.hosts?.length ?? 0) > 0 || !!r.pattern, 'give hosts or a pattern')

export const snapshotArgSchemas = {
  'snapshot.take': z.tuple([snapshotTakeRequestSchema]),
  'snapshot.cancel': z.tuple([z.string().uuid('not a take/fleet id')]),
  'snapshot.confirmHostKey': z.tuple([
    z.object({ host: hostName, port: z.number().int().min(1).max(65535), fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'fingerprints look like SHA256:<43 base64 characters>') }).strict()
  ]),
  'snapshot.list': z.tuple([]),
  'snapshot.open': z.tuple([id]),
  'snapshot.rename': z.tuple([id, oneLine('name', 200).min(1, 'a name is required')]),
  'snapshot.delete': z.tuple([id]),
  'snapshot.export': z.tuple([id]),
  'snapshot.import': z.tuple([z.string().min(2).max(64 * 1024 * 1024, 'snapshot files are at most 64 MB')]),
  'snapshot.compare': z.tuple([id, id]),
  'snapshot.fleet': z.tuple([snapshotFleetRequestSchema]),
  'snapshot.sshHosts': z.tuple([])
} as const
