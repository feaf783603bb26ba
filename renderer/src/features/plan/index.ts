export { FindingsList, type FindingsListProps } from './FindingsList'
export { PlanView, DiffView, OutcomeBars, VerificationView, type PlanViewProps } from './PlanView'
export { createPlanStore, type PlanState, type Loadable } from './plan-store'
