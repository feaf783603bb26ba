/**
 * Wire codec for the browser host: JSON, with ArrayBuffers (simulation results) carried as
 * tagged base64 so one message format serves every call and event. Pure: runs in Node and
 * in the browser. Electron IPC does not need it (structured clone carries ArrayBuffers).
 */

const TAG = '$ab'

function toBase64(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf)
  let bin = ''
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode.apply(null, Array.from(bytes.subarray(i, i + CHUNK)))
  }
  return btoa(bin)
}

function fromBase64(s: string): ArrayBuffer {
  const bin = atob(s)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out.buffer
}

/** Serialize a value for the wire; ArrayBuffers and typed-array views become `{ $ab: base64 }`. */
export function encodeWire(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    // By tag, not instanceof: values may come from another realm (worker, IPC, test DOM).
    if (Object.prototype.toString.call(v) === '[object ArrayBuffer]') return { [TAG]: toBase64(v as ArrayBuffer) }
    if (ArrayBuffer.isView(v)) {
      const view = v as ArrayBufferView
      return { [TAG]: toBase64(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength) as ArrayBuffer) }
    }
    return v
  })
}

/** Parse a wire message; tagged base64 becomes an ArrayBuffer again. Throws on invalid JSON. */
export function decodeWire(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>
      const keys = Object.keys(o)
      if (keys.length === 1 && keys[0] === TAG && typeof o[TAG] === 'string') return fromBase64(o[TAG] as string)
    }
    return v
  })
}

/** The envelope every call returns, over IPC and HTTP alike. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } }
