/**
 * Write a plan as a reviewable bundle: plan.md, plan.html, plan.pdf (when a printer is
 * given), plan.json, apply.sh, rollback.sh and files/<absolute path on the server>. Paths
 * inside the bundle come from checked absolute paths only, so a hostile snapshot cannot
 * make the bundle write outside its directory.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { planToHtml, planToMarkdown, planToPdf } from './render'
import type { Plan } from './types'

export type PrintToPdf = (html: string) => Promise<Uint8Array>

/** Write the bundle into `dir` (created if needed); returns the files written, relative to `dir`. */
export async function writePlanBundle(plan: Plan, dir: string, printToPdf?: PrintToPdf): Promise<string[]> {
  const root = resolve(dir)
  const written: string[] = []
  const put = async (rel: string, data: string | Uint8Array, mode?: number): Promise<void> => {
    const full = resolve(root, rel)
    if (!full.startsWith(root + sep)) throw new Error(`refusing to write ${rel} outside ${root}`)
    await mkdir(dirname(full), { recursive: true })
    await writeFile(full, data)
    if (mode) await chmod(full, mode)
    written.push(rel)
  }
  await put('plan.md', planToMarkdown(plan))
  await put('plan.html', planToHtml(plan))
  await put('plan.json', JSON.stringify(plan, null, 2) + '\n')
  await put('apply.sh', plan.applySh, 0o755)
  await put('rollback.sh', plan.rollbackSh, 0o755)
  for (const f of plan.files) await put(join('files', ...f.target.split('/').filter(Boolean)), f.content)
  if (printToPdf) await put('plan.pdf', await planToPdf(plan, printToPdf))
  return written
}
