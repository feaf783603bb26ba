/**
 * PortPool against __inet_hash_connect's scan (semantics.md 5.1), traced by hand: offset =
 * (perturb % remaining) & ~1, ports of the offset's parity first in steps of 2, then the other
 * parity; the scan wraps when the port passes the range's end (`port >= high` -> `port -= remaining`);
 * after a success perturb += max(i, random_below(8) * 2) + 2 (random 0 here).
 */
import { describe, expect, it } from 'vitest'
import { PortPool } from '../../simulator/ports'
import type { Stream } from '../../simulator/random'

const zero = { next: () => 0 } as unknown as Stream
const pool = (low: number, high: number, perturb: number): PortPool => new PortPool(low, high, 0, { canReuse: false, reuseDelayS: 1, twLenS: 60, perturb })

function fill(p: PortPool): number[] {
  const got: number[] = []
  for (let k = 0; k < 20; k++) {
    const i = p.connect(0, zero)
    if (i < 0) break
    got.push(i)
  }
  return got
}

describe('ephemeral port scan', () => {
  it('an odd-sized range: remaining is even (4 of 5), but a scan from offset 2 wraps at the end and reaches the 5th port', () => {
    // 5 ports, remaining 4. perturb 2: offset 2 -> port 2 (perturb 4); offset 0 -> port 0 (6);
    // offset 2: 2 busy, 4 free (4 < 5, no wrap) -> port 4 (i = 2: perturb 10); offset 2: 2, 4 busy,
    // other parity from 3 -> port 3 (12); offset 0: 0, 2 busy, other parity 1 -> port 1; then none
    expect(fill(pool(40000, 40004, 2))).toEqual([2, 0, 4, 3, 1])
  })

  it('an odd-sized range from offset 0 never reaches its last port', () => {
    // 3 ports, remaining 2: offset is always 0, the scans are {0} then {1}
    expect(fill(pool(40000, 40002, 0)).sort()).toEqual([0, 1])
    expect(fill(pool(40000, 40002, 1)).sort()).toEqual([0, 1])
  })

  it('an even-sized range uses every port once, then EADDRNOTAVAIL', () => {
    for (const perturb of [0, 1, 2, 7]) expect(fill(pool(40000, 40009, perturb)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })
})
