/** PromQL functions, aggregations and keywords: identifiers in a query that are not metric names. */
const NOT_METRICS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'rate',
  'irate',
  'increase',
  'delta',
  'idelta',
  'deriv',
  'histogram_quantile',
  'abs',
  'ceil',
  'floor',
  'round',
  'clamp_min',
  'clamp_max',
  'vector',
  'scalar',
  'time',
  'label_replace',
  'sort',
  'sort_desc',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'sum_over_time',
  'absent',
  'changes',
  'resets',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL query reads: identifiers outside label matchers (`{…}`), grouping
 * clauses (`by (…)`), ranges (`[5m]`) and strings, that are not functions or keywords.
 */
export function metricNamesOfPromQL(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    if (!NOT_METRICS.has(name)) names.add(name);
  }
  return [...names];
}
