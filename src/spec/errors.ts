import { ConfigurationError } from '../shared/errors';

/** One problem in a spec, located by its path (`strategy.steps[2]`). */
export interface SpecIssue {
  path: string;
  message: string;
}

/** A spec that does not parse or validate. The message lists every issue, each naming its field. */
export class SpecValidationError extends ConfigurationError {
  constructor(
    readonly issues: SpecIssue[],
    readonly source?: string,
  ) {
    super(
      `${source ? `${source}: ` : ''}invalid rollout spec:\n` +
        issues.map((i) => `  ${i.path ? `${i.path}: ` : ''}${i.message}`).join('\n'),
    );
  }
}
