import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { safeParse, type core } from './zod-mini';
import { getDeps, type Deps } from '../rollouts/deps';
import { toIssues } from '../spec/issues';
import { classifyAwsError, ConfigurationError } from './errors';
import { redactError, redactingReplacer } from './redact';

/** Every line goes through the redacting replacer: no secret value reaches CloudWatch Logs. */
export const logger = new Logger({ serviceName: 'canary-controller', jsonReplacerFn: redactingReplacer });

/** Keys every log line of a rollout carries, so one filter finds a rollout's whole story. */
function rolloutKeys(input: unknown): Record<string, unknown> {
  const r = (input as { rollout?: { id?: string; step?: number; weight?: number; specName?: string } } | undefined)?.rollout;
  return r ? { rolloutId: r.id, spec: r.specName, step: r.step, weight: r.weight } : {};
}

/**
 * Builds a thin Lambda handler: parse the input with zod (a bad input names the field and is a
 * ConfigurationError, never retried), log with the rollout's keys, run one use case, and make
 * sure errors carry the names the state machine's Retry/Catch match.
 */
export function lambda<S extends core.$ZodType, O>(name: string, schema: S, useCase: (input: core.output<S>, deps: Deps, context: Context) => Promise<O>) {
  return middy(async (event: unknown, context: Context): Promise<O> => {
    const parsed = safeParse(schema, event);
    if (!parsed.success) {
      const issues = toIssues(parsed.error)
        .map((i) => `${i.path || '(input)'}: ${i.message}`)
        .join('; ');
      throw new ConfigurationError(`${name}: invalid input: ${issues}`);
    }
    logger.appendKeys({ handler: name, ...rolloutKeys(parsed.data) });
    try {
      const result = await useCase(parsed.data, getDeps(), context);
      logger.info(`${name} done`, { result: summarize(result) });
      return result;
    } catch (error) {
      // Redacted before it is logged and before Step Functions records it as the task's Cause.
      const shaped = redactError(classifyAwsError(error, name));
      logger.error(`${name} failed`, { error: shaped as Error });
      throw shaped;
    }
  }).use(injectLambdaContext(logger, { clearState: true }));
}

function summarize(result: unknown): unknown {
  if (result && typeof result === 'object' && 'action' in result) {
    const r = result as { action?: string; step?: number; weight?: number; outcome?: string };
    return { action: r.action, step: r.step, weight: r.weight, outcome: r.outcome };
  }
  return undefined;
}
