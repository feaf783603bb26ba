/** Draw a chart's x and y axes (d3-axis needs the DOM: refs + effect, style.md 12). */
import { useEffect, useRef } from 'react'
import { axisBottom, axisLeft, select, type AxisScale } from 'd3'

export function useAxes(x: AxisScale<number>, y: AxisScale<number>, opts: { xTicks?: number; yTicks?: number; xFormat?: string; yFormat?: string } = {}) {
  const xRef = useRef<SVGGElement>(null)
  const yRef = useRef<SVGGElement>(null)
  const { xTicks = 6, yTicks = 4, xFormat, yFormat } = opts
  useEffect(() => {
    if (xRef.current) select(xRef.current).call(xFormat ? axisBottom(x).ticks(xTicks, xFormat) : axisBottom(x).ticks(xTicks))
    if (yRef.current) select(yRef.current).call(yFormat ? axisLeft(y).ticks(yTicks, yFormat) : axisLeft(y).ticks(yTicks))
  }, [x, y, xTicks, yTicks, xFormat, yFormat])
  return { xRef, yRef }
}
