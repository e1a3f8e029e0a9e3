// Experiments: a route's candidate bound to a hypothesis and success criteria (docs/experiments.md).
export { transition, approvalRefusal, NEXT, type ExperimentAction, type ExperimentState, type Outcome, type TransitionResult } from './lifecycle.js';
export { evaluate, judgeCriterion, type CriterionStatus, type Evaluation } from './evaluate.js';
export { ExperimentRegistry, type Experiment, type HistoryEntry, type Identity } from './registry.js';
