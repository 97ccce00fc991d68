/** One Step → Route → Bake cycle of an execution's history (a traffic step, or a re-check of one). */
export interface StepCycle {
  states: string[];
  transitions: number;
  lambdaInvocations: number;
}

/**
 * Cuts the states an execution entered (in order) into Step → Route → Bake cycles: a cycle
 * starts at `Step` and runs until the next `Step` or any state outside the loop. Only cycles
 * that reached `Bake` are traffic steps; the last Step (judge, then promote or roll back) is not.
 * `lambdaStates` names the Task states that invoke a Lambda (from the ASL).
 */
export function trafficStepCycles(statesEntered: readonly string[], lambdaStates: ReadonlySet<string>, loop = { start: 'Step', states: ['Step', 'Route', 'Bake'], bake: 'Bake' }): StepCycle[] {
  const cycles: StepCycle[] = [];
  let current: string[] | undefined;
  const close = () => {
    if (current?.includes(loop.bake)) {
      cycles.push({ states: current, transitions: current.length, lambdaInvocations: current.filter((s) => lambdaStates.has(s)).length });
    }
    current = undefined;
  };
  for (const state of statesEntered) {
    if (state === loop.start) {
      close();
      current = [state];
    } else if (current && loop.states.includes(state)) {
      current.push(state);
    } else {
      close();
    }
  }
  close();
  return cycles;
}

/** Task states of an ASL definition that invoke a Lambda function (directly or through lambda:invoke). */
export function lambdaTaskStates(definition: { States?: Record<string, { Type?: string; Resource?: unknown }> }): Set<string> {
  const out = new Set<string>();
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (state.Type !== 'Task') continue;
    const r = state.Resource;
    const isGetAtt = typeof r === 'object' && r !== null && 'Fn::GetAtt' in r;
    const isLambdaArn = typeof r === 'string' && (r.startsWith('arn:aws:states:::lambda:invoke') || r.includes(':lambda:'));
    if (isGetAtt || isLambdaArn) out.add(name);
  }
  return out;
}
