/**
 * The error codes App Mesh uses for the cases the local mesh can hit. An adapter maps
 * `code` exactly as it maps the `name` of an App Mesh SDK exception, so one mapping serves both.
 */
export type LocalMeshErrorCode = 'NotFoundException' | 'BadRequestException' | 'ConflictException';

/** A rejected control-plane call (createRoute, updateRoute, describeRoute). */
export class LocalMeshError extends Error {
  constructor(
    readonly code: LocalMeshErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'LocalMeshError';
  }
}

/** A route spec App Mesh would refuse: the message names the offending field. */
export function badRequest(message: string): LocalMeshError {
  return new LocalMeshError('BadRequestException', message);
}

/** A route or virtual node that does not exist: the message names it. */
export function notFound(message: string): LocalMeshError {
  return new LocalMeshError('NotFoundException', message);
}
