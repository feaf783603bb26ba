export { FindingsList, type FindingsListProps } from './FindingsList'
export { PlanView, DiffView, OutcomeBars, VerificationView, type PlanViewProps } from './PlanView'
