import { createRouter } from '../routers';
import { createWorkload } from '../workloads';
import { registerTrafficPorts } from './deps';

/**
 * The real router and workload adapters, for the functions that move traffic (every entry in
 * functions/ but the triggers). Imported for its effect; each adapter still loads its SDK client
 * on first use only.
 */
registerTrafficPorts({ routerFor: (spec) => createRouter(spec), workloadFor: (spec) => createWorkload(spec) });
