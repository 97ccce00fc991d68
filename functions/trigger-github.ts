import { z } from 'zod';
import { gitHubTriggerDeps } from '../src/triggers/github-deps';
import { handleGitHubWebhook, type WebhookRequest } from '../src/triggers/github';
import { lambda } from '../src/shared/lambda';

/** API Gateway HTTP API (payload 2.0) `POST /webhooks/github`. */
const WebhookRequestSchema = z.looseObject({
  headers: z.record(z.string(), z.string().optional()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
}) as unknown as z.ZodType<WebhookRequest>;

export const handler = lambda('trigger-github', WebhookRequestSchema, (request, deps) => handleGitHubWebhook(request, gitHubTriggerDeps(deps)));
