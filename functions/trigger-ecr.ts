import * as z from '../src/shared/zod-mini';
import { handleEcrPush } from '../src/triggers/ecr';
import { ecrTriggerDeps } from '../src/triggers/common-deps';
import { lambda } from '../src/shared/lambda';

/** EventBridge `ECR Image Action`; any shape is accepted here and a bad one is skipped with its reason. */
export const handler = lambda('trigger-ecr', z.unknown(), (event, deps) => handleEcrPush(event, ecrTriggerDeps(deps)));
