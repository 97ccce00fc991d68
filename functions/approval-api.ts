import '../src/rollouts/traffic-ports';
import * as z from '../src/shared/zod-mini';
import { handleApprovalRequest, type HttpRequest } from '../src/approvals/http';
import { ssmKeyProvider, type KeyProvider } from '../src/approvals/links';
import { lambda } from '../src/shared/lambda';

let key: KeyProvider | undefined;

/** The approval links' endpoint: GET shows a confirmation page, POST decides. */
export const handler = lambda('approval-api', z.looseObject({}), (event, deps) => {
  const parameter = process.env.APPROVAL_KEY_PARAMETER;
  if (!parameter) throw new Error('APPROVAL_KEY_PARAMETER is not set: deploy with serverless/operations.yml');
  key ??= ssmKeyProvider(parameter);
  return handleApprovalRequest(event as HttpRequest, {
    store: deps.store,
    executions: deps.executions,
    now: deps.now,
    key,
    identityHeader: process.env.APPROVAL_IDENTITY_HEADER || undefined,
  });
});
