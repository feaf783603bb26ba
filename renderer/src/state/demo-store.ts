/** The built-in demos (the field reports): list, the open one, and load errors. */
import { create } from 'zustand'
import { getApi } from '../api'
import type { DemoBundle, DemoSummary } from '../../../main/api/contract'

interface DemoStore {
  list: DemoSummary[]
  listError: string | null
  open: DemoBundle | null
  openError: string | null
  loading: boolean
  load(): Promise<void>
  select(id: string): Promise<void>
}

export const useDemoStore = create<DemoStore>((set) => ({
  list: [],
  listError: null,
  open: null,
  openError: null,
  loading: false,

  async load() {
    try {
      set({ list: await getApi().demo.list(), listError: null })
    } catch (err) {
      set({ listError: (err as Error).message })
    }
  },

  async select(id) {
    set({ loading: true, openError: null })
    try {
      set({ open: await getApi().demo.open(id), loading: false })
    } catch (err) {
      set({ openError: (err as Error).message, loading: false })
    }
  }
}))
