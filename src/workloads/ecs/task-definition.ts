import type {
  ContainerDefinition,
  DescribeTaskDefinitionResponse,
  RegisterTaskDefinitionRequest,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { ConfigurationError } from '../../shared/errors';

/**
 * Fields of DescribeTaskDefinition's `taskDefinition` that RegisterTaskDefinition accepts.
 * Together with READ_ONLY_FIELDS this must cover every TaskDefinition field: the type checks
 * below make an SDK upgrade that adds a field fail `tsc` until someone decides which list it
 * belongs to, instead of silently dropping the new setting from every canary.
 */
export const REGISTRABLE_FIELDS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
] as const satisfies readonly (keyof TaskDefinition & keyof RegisterTaskDefinitionRequest)[];

/** Fields ECS sets itself; RegisterTaskDefinition rejects them. */
export const READ_ONLY_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const satisfies readonly (keyof TaskDefinition)[];

type Registrable = (typeof REGISTRABLE_FIELDS)[number];
type ReadOnly = (typeof READ_ONLY_FIELDS)[number];
/** TaskDefinition fields in neither list. Must stay `never`. */
type Unclassified = Exclude<keyof TaskDefinition, Registrable | ReadOnly>;
/** RegisterTaskDefinition fields we would never send (tags come from the Describe response). Must stay `never`. */
type NotCopied = Exclude<keyof RegisterTaskDefinitionRequest, Registrable | 'tags'>;
const fieldListsAreExhaustive: [Unclassified, NotCopied] extends [never, never]
  ? true
  : { unclassified: Unclassified; notCopied: NotCopied } = true;
void fieldListsAreExhaustive;

/** Environment variables through which Envoy learns its virtual node: the deprecated name form and the ARN form. */
export const MESH_NODE_VARIABLES = ['APPMESH_VIRTUAL_NODE_NAME', 'APPMESH_RESOURCE_ARN'] as const;

/** `mesh/<mesh>/virtualNode/<node>`, optionally as a full App Mesh ARN (`arn:aws:appmesh:<region>:<account>:mesh/...`). */
const MESH_NODE_VALUE = /^(arn:[^:]+:appmesh:[^:]*:\d{12}:)?mesh\/([^/]+)\/virtualNode\/([^/]+)$/;

/** An image pinned by digest: `<registry>/<repository>@sha256:<64 hex>`. */
const IMAGE_BY_DIGEST = /^[^\s@]+@sha256:[a-f0-9]{64}$/;

/** True for `<repository>@sha256:<64 hex>`: the only image form a canary may run (a tag can move). */
export function isPinnedByDigest(image: string): boolean {
  return IMAGE_BY_DIGEST.test(image);
}

/** Tag keys with this prefix are reserved by AWS (CloudFormation adds them); RegisterTaskDefinition rejects them. */
const RESERVED_TAG_PREFIX = 'aws:';

export interface CloneOptions {
  /** The container whose image is replaced. */
  container: string;
  /**
   * App Mesh only: the mesh whose node variables move from `fromNode` to `toNode`. Left out when the
   * services sit behind ALB or VPC Lattice target groups: then no variable is touched.
   */
  mesh?: string;
  /** The virtual node the source task definition must name (the primary node, when cloning for the canary). */
  fromNode?: string;
}

/**
 * Builds a RegisterTaskDefinition input from a DescribeTaskDefinition output (described with
 * `include: ['TAGS']`): the same task definition with exactly two changes, the image of
 * `options.container` and (App Mesh only, with `options.mesh`) every App Mesh node variable moved
 * from `options.fromNode` to `toNode`.
 * Read-only fields and AWS-reserved `aws:` tags are dropped; nothing else is touched. Pure.
 *
 * For the canary: the primary's task definition, the pushed image, the canary node. For promotion:
 * the canary's task definition, the same image, back to the primary node.
 */
export function cloneTaskDefinition(
  described: Pick<DescribeTaskDefinitionResponse, 'taskDefinition' | 'tags'>,
  image: string,
  toNode: string | undefined,
  options: CloneOptions,
): RegisterTaskDefinitionRequest {
  const source = described.taskDefinition;
  if (source === undefined) throw new ConfigurationError('DescribeTaskDefinition returned no task definition');
  const label = source.taskDefinitionArn ?? source.family ?? '(unnamed task definition)';
  if (source.family === undefined || source.containerDefinitions === undefined) {
    throw new ConfigurationError(`task definition ${label} has no family or no container definitions`);
  }
  if (!IMAGE_BY_DIGEST.test(image)) {
    throw new ConfigurationError(
      `image "${image}" is not pinned by digest (<repository>@sha256:<digest>): a tag can move, and the canary must run exactly the pushed image`,
    );
  }

  const input = {} as Record<Registrable, unknown>;
  for (const field of REGISTRABLE_FIELDS) {
    if (source[field] !== undefined) input[field] = structuredClone(source[field]);
  }
  const result = input as unknown as RegisterTaskDefinitionRequest & { containerDefinitions: ContainerDefinition[] };

  const target = result.containerDefinitions.find((c) => c.name === options.container);
  if (target === undefined) {
    const names = result.containerDefinitions.map((c) => `"${c.name ?? ''}"`).join(', ');
    throw new ConfigurationError(
      `container "${options.container}" not found in task definition ${label}; it has: ${names}`,
    );
  }
  target.image = image;

  if (options.mesh !== undefined) {
    if (toNode === undefined || options.fromNode === undefined) throw new Error('internal: moving a mesh node needs both fromNode and toNode');
    moveMeshNode(result, label, toNode, { mesh: options.mesh, fromNode: options.fromNode });
  }

  const tags = (described.tags ?? []).filter((t) => !(t.key ?? '').startsWith(RESERVED_TAG_PREFIX));
  if (tags.length > 0) result.tags = structuredClone(tags);
  return result;
}

/** Rewrites every mesh node variable from `fromNode` to `toNode`; fails if the mesh identity is missing or unexpected. */
function moveMeshNode(
  input: RegisterTaskDefinitionRequest & { containerDefinitions: ContainerDefinition[] },
  label: string,
  toNode: string,
  options: { mesh: string; fromNode: string },
): void {
  const expected = `mesh/${options.mesh}/virtualNode/${options.fromNode}`;
  const carriers = new Set<string>();
  for (const container of input.containerDefinitions) {
    for (const variable of container.environment ?? []) {
      if (!(MESH_NODE_VARIABLES as readonly (string | undefined)[]).includes(variable.name)) continue;
      const match = MESH_NODE_VALUE.exec(variable.value ?? '');
      if (match === null || match[2] !== options.mesh || match[3] !== options.fromNode) {
        throw new ConfigurationError(
          `container "${container.name ?? ''}" of task definition ${label} sets ${variable.name}=${variable.value ?? ''}, ` +
            `expected ${expected}: each ECS service must run as its own virtual node`,
        );
      }
      variable.value = `${match[1] ?? ''}mesh/${options.mesh}/virtualNode/${toNode}`;
      carriers.add(container.name ?? '');
    }
  }
  if (carriers.size === 0) {
    throw new ConfigurationError(
      `task definition ${label} sets neither APPMESH_VIRTUAL_NODE_NAME nor APPMESH_RESOURCE_ARN in any container: ` +
        `its tasks could not join mesh "${options.mesh}" as virtual node "${toNode}"`,
    );
  }
  const proxy = input.proxyConfiguration;
  if (proxy?.type === 'APPMESH' && proxy.containerName !== undefined && !carriers.has(proxy.containerName)) {
    throw new ConfigurationError(
      `the App Mesh proxy container "${proxy.containerName}" of task definition ${label} sets no ${MESH_NODE_VARIABLES.join(' or ')}: ` +
        `Envoy would not know which virtual node it is`,
    );
  }
}
