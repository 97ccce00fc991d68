import '../src/rollouts/traffic-ports';
import { ApprovalRequestSchema, requestApproval } from '../src/approvals/gates';
import { lambda } from '../src/shared/lambda';

export const handler = lambda('request-approval', ApprovalRequestSchema, (input, deps) => requestApproval(input, deps));
