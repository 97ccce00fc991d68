import * as z from '../src/shared/zod-mini';
import { handleCodeCommitPush } from '../src/triggers/codecommit';
import { codeCommitTriggerDeps } from '../src/triggers/deps';
import { lambda } from '../src/shared/lambda';

/** EventBridge `CodeCommit Repository State Change`; a bad event is skipped with its reason. */
export const handler = lambda('trigger-codecommit', z.unknown(), (event, deps) => handleCodeCommitPush(event, codeCommitTriggerDeps(deps)));
