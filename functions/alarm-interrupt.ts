import '../src/rollouts/traffic-ports';
import * as z from '../src/shared/zod-mini';
import { interruptBakes } from '../src/rollouts/interrupt';
import { lambda } from '../src/shared/lambda';

/** EventBridge `CloudWatch Alarm State Change`. */
const AlarmEventSchema = z.looseObject({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  account: z.string(),
  region: z.string(),
  detail: z.looseObject({
    alarmName: z.string().check(z.minLength(1)),
    state: z.looseObject({ value: z.string(), reason: z.optional(z.string()) }),
  }),
});

/** `arn:aws:lambda:<region>:<account>:function:<name>`: where this function, and the alarms its specs name, live. */
function here(functionArn: string): { account: string; region: string } {
  const [, , , region = '', account = ''] = functionArn.split(':');
  return { account, region };
}

export const handler = lambda('alarm-interrupt', AlarmEventSchema, (event, deps, context) =>
  interruptBakes(
    { alarmName: event.detail.alarmName, state: event.detail.state.value, reason: event.detail.state.reason, account: event.account, region: event.region },
    deps,
    here(context.invokedFunctionArn),
  ),
);
