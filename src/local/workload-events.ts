import type { RolloutStore } from '../rollouts/store';

/**
 * Follows the workload's account of its deploy in the rollout's history (the image deployed, the
 * ECS task definition or the Lambda version published, the scale-down) so that the local view can
 * show it as it happens. Reads the store the handlers write, like an operator reading history.
 */
export class WorkloadEventLog {
  private shown = 0;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly store: RolloutStore,
    private readonly rolloutId: string,
    private readonly print: (message: string) => void,
  ) {}

  /** Prints the workload events recorded since the last look; one look at a time, so none prints twice. */
  poll(): Promise<void> {
    return (this.reading ??= this.read().finally(() => (this.reading = undefined)));
  }

  /** Waits for a look under way, then looks once more: nothing recorded before the call is left out. */
  async flush(): Promise<void> {
    await this.reading;
    await this.poll();
  }

  private async read(): Promise<void> {
    const events = (await this.store.listEvents(this.rolloutId)).filter((e) => e.kind === 'workload');
    for (const e of events.slice(this.shown)) this.print(e.message);
    this.shown = events.length;
  }
}
