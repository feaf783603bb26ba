/**
 * Servers: taking snapshots over SSH (with progress and host-key confirmation) and the
 * stored snapshots. Pushed snapshot events are subscribed once, at module scope.
 */
import { create } from 'zustand'
import { getApi } from '../api'
import type { SnapshotFailedEvent, SnapshotList, SnapshotStage, SnapshotTakeRequest } from '../../../main/snapshot/api-types'
import type { Snapshot } from '../../../main/snapshot/schema'

export type TakeState =
  | { status: 'idle' }
  | { status: 'running'; takeId: string | null; host: string; stage: SnapshotStage | null; progress: number }
  | { status: 'done'; snapshotId: string; warning?: string }
  | { status: 'failed'; failure: Pick<SnapshotFailedEvent, 'kind' | 'message' | 'hostKey'>; request: SnapshotTakeRequest }

interface SnapshotStore {
  list: SnapshotList
  listError: string | null
  take: TakeState
  open: Snapshot | null
  openError: string | null
  refresh(): Promise<void>
  start(req: SnapshotTakeRequest): Promise<void>
  cancel(): Promise<void>
  trustAndRetry(): Promise<void>
  select(id: string): Promise<Snapshot | null>
  rename(id: string, name: string): Promise<void>
  remove(id: string): Promise<void>
  importJson(json: string): Promise<string | null>
  exportJson(id: string): Promise<{ fileName: string; json: string } | null>
}

export const useSnapshots = create<SnapshotStore>((set, get) => ({
  list: { snapshots: [], unreadable: [] },
  listError: null,
  take: { status: 'idle' },
  open: null,
  openError: null,

  async refresh() {
    try {
      set({ list: await getApi().snapshot.list(), listError: null })
    } catch (err) {
      set({ listError: (err as Error).message })
    }
  },

  async start(req) {
    lastRequest = req
    set({ take: { status: 'running', takeId: null, host: req.host, stage: null, progress: 0 } })
    try {
      const { takeId, notice } = await getApi().snapshot.take(req)
      const cur = get().take
      if (cur.status === 'running' && cur.takeId === null) set({ take: { ...cur, takeId } })
      if (notice) set({ openError: notice })
    } catch (err) {
      set({ take: { status: 'failed', failure: { kind: 'error', message: (err as Error).message }, request: req } })
    }
  },

  async cancel() {
    const cur = get().take
    if (cur.status === 'running' && cur.takeId) await getApi().snapshot.cancel(cur.takeId).catch(() => undefined)
  },

  async trustAndRetry() {
    const cur = get().take
    if (cur.status !== 'failed' || !cur.failure.hostKey) return
    const k = cur.failure.hostKey
    try {
      await getApi().snapshot.confirmHostKey({ host: k.host, port: k.port, fingerprint: k.fingerprint })
      await get().start(cur.request)
    } catch (err) {
      set({ take: { ...cur, failure: { kind: 'error', message: (err as Error).message } } })
    }
  },

  async select(id) {
    try {
      const snap = await getApi().snapshot.open(id)
      set({ open: snap, openError: null })
      return snap
    } catch (err) {
      set({ openError: (err as Error).message })
      return null
    }
  },

  async rename(id, name) {
    try {
      await getApi().snapshot.rename(id, name)
      await get().refresh()
    } catch (err) {
      set({ listError: (err as Error).message })
    }
  },

  async remove(id) {
    try {
      await getApi().snapshot.delete(id)
      if (get().open?.id === id) set({ open: null })
      await get().refresh()
    } catch (err) {
      set({ listError: (err as Error).message })
    }
  },

  async importJson(json) {
    try {
      const s = await getApi().snapshot.import(json)
      await get().refresh()
      return s.id
    } catch (err) {
      set({ listError: (err as Error).message })
      return null
    }
  },

  async exportJson(id) {
    try {
      return await getApi().snapshot.export(id)
    } catch (err) {
      set({ listError: (err as Error).message })
      return null
    }
  }
}))

/** The request behind the running take, so a host-key confirmation can retry it. */
let lastRequest: SnapshotTakeRequest | null = null

const api = getApi()
api.on('snapshot.progress', (e) => {
  const cur = useSnapshots.getState().take
  if (cur.status === 'running' && (cur.takeId === e.takeId || cur.takeId === null)) {
    useSnapshots.setState({ take: { ...cur, takeId: e.takeId, stage: e.stage, progress: e.progress } })
  }
})
api.on('snapshot.done', (e) => {
  const cur = useSnapshots.getState().take
  if (cur.status === 'running' && (cur.takeId === e.takeId || cur.takeId === null)) {
    useSnapshots.setState({ take: { status: 'done', snapshotId: e.summary.id, ...(e.warning ? { warning: e.warning } : {}) } })
    void useSnapshots.getState().refresh()
  }
})
api.on('snapshot.failed', (e) => {
  const cur = useSnapshots.getState().take
  if (cur.status === 'running' && (cur.takeId === e.takeId || cur.takeId === null)) {
    const request = lastRequest ?? { host: e.host }
    useSnapshots.setState({ take: { status: 'failed', failure: { kind: e.kind, message: e.message, ...(e.hostKey ? { hostKey: e.hostKey } : {}) }, request } })
  }
})
