import { FakeVpcLattice, LATTICE } from '../support/fake-vpc-lattice';
import { describeEcsBehindTargetGroups } from './ecs-target-groups';

/**
 * ECS behind VPC Lattice: the primary service is registered in the stable target group, the
 * canary service in the canary one. The same ECS workload as with ALB deploys and promotes; the
 * Lattice router moves the traffic on the listener's default action (UpdateListener) and every
 * rule forwarding to the primary's target group (UpdateRule), keeping match and priority.
 */
const { service, listener, apiRule, legacyRule, maintenanceRule, stable, canary } = LATTICE;

describeEcsBehindTargetGroups('rollout state machine with an ECS workload behind VPC Lattice (real ASL, real handlers, fake ECS and VPC Lattice)', () => {
  const lattice = new FakeVpcLattice().seedUserService();
  return {
    router: { vpcLattice: { service, listener } },
    stable,
    canary,
    keys: [`vpc-lattice:${service}/${listener}`, `vpc-lattice:${service}/${listener}/${apiRule}`, `vpc-lattice:${service}/${listener}/${legacyRule}`],
    clients: { vpcLattice: lattice.client },
    onWrite: (watch) => {
      lattice.onWrite = (route) => {
        if (route === 'default') watch(lattice.sharesWritten('default', stable, canary).at(-1)!);
      };
    },
    sharesWritten: () => lattice.sharesWritten('default', stable, canary),
    // The fixed-response rule is not the rollout's: it must come out untouched too.
    contents: () => Object.fromEntries(['default', apiRule, legacyRule, maintenanceRule].map((r) => [r, lattice.content(r)])),
    restore: () => lattice.restore(),
  };
});
