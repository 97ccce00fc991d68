/**
 * Questions about a parsed spec that handlers far from Prepare ask. Type imports only: importing
 * the spec schema (zod) would load it into every function that asks.
 */

/** True when a spec's analysis has a `test: sequential` comparison: the lookout looks into its bakes. */
export function hasSequentialComparison(spec: { analysis: { compare: ReadonlyArray<{ test?: string }> } }): boolean {
  return spec.analysis.compare.some((c) => c.test === 'sequential');
}
