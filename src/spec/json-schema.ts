import * as z from '../shared/zod-mini';
import { RolloutSpecSchema } from './schema';

/** JSON Schema (draft 2020-12) of the spec as written, for editors (`yaml-language-server`). */
export function specJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(RolloutSpecSchema, { io: 'input', unrepresentable: 'any' }),
    $id: 'https://canary-controller.dev/schemas/rollout-spec.json',
    title: 'canary-controller rollout spec',
  };
}
