/** Diagnosis findings in order of impact: severity, title, and (expanded) evidence, mechanism and fix. */
import type { Finding } from '../../../../main/diagnosis/types'
import './plan.css'

export interface FindingsListProps {
  findings: Finding[]
  /** Findings open by default (e.g. the critical ones); default: the first. */
  openIds?: string[]
  /** Items the snapshot could not read (shown so an empty list is not mistaken for a clean bill). */
  unknown?: string[]
}

export function FindingsList({ findings, openIds, unknown = [] }: FindingsListProps) {
  const open = new Set(openIds ?? findings.slice(0, 1).map((f) => f.id))
  return (
    <section className="hr-findings-section" aria-label="Findings">
      {findings.length === 0 ? <p>No finding.</p> : null}
      <ol className="hr-findings">
        {findings.map((f) => (
          <li key={f.id} className="hr-finding" data-finding={f.id}>
            <details open={open.has(f.id)}>
              <summary>
                <span className={`hr-sev hr-sev-${f.severity}`}>{f.severity}</span>
                <b>{f.impactRank}.</b> {f.title}
              </summary>
              <ul className="hr-evidence">
                {f.evidence.map((e, i) => (
                  <li key={i}>
                    {e.label}: <code>{e.value}</code> <i>({e.source})</i>
                  </li>
                ))}
              </ul>
              <p>
                <b>Why.</b> {f.mechanism}
              </p>
              <p>
                <b>Fix.</b> {f.fix}
              </p>
            </details>
          </li>
        ))}
      </ol>
      {unknown.length ? <p className="hr-unknown">Not checked (missing in the snapshot): {unknown.join(', ')}</p> : null}
    </section>
  )
}
