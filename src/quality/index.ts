// Data quality and drift of a route's inputs (docs/quality.md): a pure engine like compare/ — the shadow
// threads observe features on the anonymized copy, the live thread keeps one RouteQuality per route.
export { compileFeatures, observeFeatures, observeRecorded, featureModes, predictionValue, shapeOf, MAX_CATEGORY_CHARS, type CompiledFeature, type Observed, type Shape, type ValueType } from './features.js';
export {
  RouteQuality, SMALL_REFERENCE_ROWS, type FeatureDrift, type FeatureReport, type PredictionDrift, type QualityAlert, type QualityCheck,
  type QualityObservation, type QualityReport,
} from './route-quality.js';
export { QualityBook } from './book.js';
export { combineQuality, type FleetQualityReport, type QualityContributor } from './fleet.js';
export * as qualityStats from './stats.js';
