#!/usr/bin/env node
// Draws the app icon (resources/icon.png, 512x512): a dark rounded square with a rising
// load curve meeting a ceiling line. Dependency-free PNG writer (zlib from Node).
import { writeFileSync } from 'node:fs'
import { deflateSync } from 'node:zlib'

const N = 512
const px = Buffer.alloc(N * N * 4)
const set = (x, y, [r, g, b, a]) => {
  if (x < 0 || y < 0 || x >= N || y >= N) return
  const i = (y * N + x) * 4
  const al = a / 255
  px[i] = Math.round(px[i] * (1 - al) + r * al)
  px[i + 1] = Math.round(px[i + 1] * (1 - al) + g * al)
  px[i + 2] = Math.round(px[i + 2] * (1 - al) + b * al)
  px[i + 3] = Math.max(px[i + 3], a)
}
const R = 96
for (let y = 0; y < N; y++)
  for (let x = 0; x < N; x++) {
    const dx = Math.max(R - x, 0, x - (N - 1 - R))
    const dy = Math.max(R - y, 0, y - (N - 1 - R))
    if (dx * dx + dy * dy <= R * R) set(x, y, [16, 24, 32, 255])
  }
const thick = (x, y, c, w) => {
  for (let a = -w; a <= w; a++) for (let b = -w; b <= w; b++) if (a * a + b * b <= w * w) set(Math.round(x + a), Math.round(y + b), c)
}
// ceiling
for (let x = 80; x <= 432; x++) thick(x, 150, [239, 83, 80, 255], 7)
// load curve: rises, flattens under the ceiling (headroom)
for (let x = 80; x <= 432; x += 0.5) {
  const u = (x - 80) / 352
  const y = 420 - 220 * (1 - Math.exp(-3.2 * u))
  thick(x, y, [77, 182, 172, 255], 12)
}
const raw = Buffer.alloc((N * 4 + 1) * N)
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0
  px.copy(raw, y * (N * 4 + 1) + 1, y * N * 4, (y + 1) * N * 4)
}
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc = (buf) => {
  let c = 0xffffffff
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}
const chunk = (type, data) => {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type), data])
  const c = Buffer.alloc(4)
  c.writeUInt32BE(crc(td))
  return Buffer.concat([len, td, c])
}
const ihdr = Buffer.alloc(13)
ihdr.writeUInt32BE(N, 0)
ihdr.writeUInt32BE(N, 4)
ihdr[8] = 8
ihdr[9] = 6
const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
writeFileSync(new URL('../resources/icon.png', import.meta.url), png)
console.log('wrote resources/icon.png', png.length, 'bytes')
