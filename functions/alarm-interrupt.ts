import { z } from 'zod';
import { interruptBakes } from '../src/rollouts/interrupt';
import { lambda } from '../src/shared/lambda';

/** EventBridge `CloudWatch Alarm State Change`. */
const AlarmEventSchema = z.looseObject({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  detail: z.looseObject({
    alarmName: z.string().min(1),
    state: z.looseObject({ value: z.string(), reason: z.string().optional() }),
  }),
});

export const handler = lambda('alarm-interrupt', AlarmEventSchema, (event, deps) =>
  interruptBakes({ alarmName: event.detail.alarmName, state: event.detail.state.value, reason: event.detail.state.reason }, deps),
);
