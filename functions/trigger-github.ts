import * as z from '../src/shared/zod-mini';
import { gitHubTriggerDeps } from '../src/triggers/github-deps';
import { handleGitHubWebhook, type WebhookRequest } from '../src/triggers/github';
import { lambda } from '../src/shared/lambda';

/** API Gateway HTTP API (payload 2.0) `POST /webhooks/github`. */
const WebhookRequestSchema = z.looseObject({
  headers: z.optional(z.record(z.string(), z.optional(z.string()))),
  body: z.optional(z.string()),
  isBase64Encoded: z.optional(z.boolean()),
}) as unknown as z.ZodMiniType<WebhookRequest>;

export const handler = lambda('trigger-github', WebhookRequestSchema, (request, deps) => handleGitHubWebhook(request, gitHubTriggerDeps(deps)));
