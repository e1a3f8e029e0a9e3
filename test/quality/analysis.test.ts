// The analysis endpoint's reading of a report's quality section: a closed quality gate keeps a passing
// comparison from passing (Argo: Inconclusive, Flagger: 425), with the quality reasons; an open one or a
// route without quality changes nothing.
import { describe, expect, it } from 'vitest';
import { analyse, WEBHOOK_STATUS } from '../../src/admin/analysis.js';

const passing = { route: 'r', verdict: 'pass', window: { compared: 500, checks: [{ metric: 'disagreement', outcome: 'ok', observed: 0, threshold: 0.05 }] } };
const quality = (open: boolean) => ({
  status: open ? 'ok' : 'alert',
  gate: { enabled: true, open, reasons: open ? [] : ['inputs drifted: `amount` KS p 1.00e-9 < 0.00333 since 14:02 UTC'] },
  features: [{ name: 'amount', mode: 'value', drift: { statistic: 'ks', value: 0.3, pValue: 1e-9, threshold: 0.00333, drifted: !open, psi: 0.4 } }],
  predictions: [{ kind: 'label', statistic: 'chi2', pValue: 0.5, distance: 0.01, drifted: false }],
});

describe('analysis: the quality section', () => {
  it('a closed quality gate turns pass into inconclusive with the reason', () => {
    const a = analyse('r', undefined, { ...passing, quality: quality(false) }, 0);
    expect(a.status).toBe('inconclusive');
    expect(WEBHOOK_STATUS[a.status]).toBe(425);
    expect(a.reasons[0]).toBe('inputs drifted: `amount` KS p 1.00e-9 < 0.00333 since 14:02 UTC');
    expect(a.quality).toMatchObject({ status: 'alert', gate: 'closed', features: [{ name: 'amount', statistic: 'ks', drifted: true, psi: 0.4 }], predictions: [{ kind: 'label', drifted: false }] });
  });

  it('an open gate, or no quality at all, leaves the verdict alone', () => {
    expect(analyse('r', undefined, { ...passing, quality: quality(true) }, 0)).toMatchObject({ status: 'pass', quality: { gate: 'open' } });
    expect(analyse('r', undefined, passing, 0)).toMatchObject({ status: 'pass', quality: null });
  });
});
