/** Errors on the Dapr paths: the project's {id, code, detail, status} plus Dapr's {errorCode, message}, so both kinds of client read them. */
import {
  MicroError,
  badRequest,
  serviceUnavailable,
  toMicroError,
} from '../../../runtime/errors.ts';
import { SIDECAR_ID } from '../guard.ts';

/** Dapr's error codes the sidecar answers with (the subset of Dapr's list for the paths it serves). */
export type DaprErrorCode =
  | 'ERR_MALFORMED_REQUEST'
  | 'ERR_STATE_STORE_NOT_CONFIGURED'
  | 'ERR_STATE_SAVE'
  | 'ERR_STATE_GET'
  | 'ERR_STATE_DELETE'
  | 'ERR_STATE_BULK_GET'
  | 'ERR_STATE_TRANSACTION'
  | 'ERR_CONFIGURATION_STORE_NOT_CONFIGURED'
  | 'ERR_CONFIGURATION_GET'
  | 'ERR_CONFIGURATION_SUBSCRIBE'
  | 'ERR_CONFIGURATION_UNSUBSCRIBE'
  | 'ERR_LOCK_STORE_NOT_CONFIGURED'
  | 'ERR_TRY_LOCK'
  | 'ERR_UNLOCK'
  | 'ERR_METADATA_SET'
  | 'ERR_PUBSUB_EMPTY'
  | 'ERR_PUBSUB_NOT_FOUND'
  | 'ERR_TOPIC_NAME_EMPTY'
  | 'ERR_PUBSUB_FORBIDDEN'
  | 'ERR_PUBSUB_PUBLISH_MESSAGE'
  | 'ERR_PUBSUB_CLOUD_EVENTS_SER'
  | 'ERR_UNAUTHORIZED'
  | 'ERR_PERMISSION_DENIED';

/** A MicroError whose JSON also carries Dapr's `errorCode` and `message`. */
export class DaprError extends MicroError {
  readonly errorCode: DaprErrorCode;
  constructor(errorCode: DaprErrorCode, error: MicroError) {
    super(error.id, error.code, error.detail, error.status);
    this.errorCode = errorCode;
    if (error.retryAfter !== undefined) this.retryAfter = error.retryAfter;
  }
  /** Both shapes in one object: `{id, code, detail, status, errorCode, message}`. */
  override toJSON(): ReturnType<MicroError['toJSON']> & { errorCode: string; message: string } {
    return { ...super.toJSON(), errorCode: this.errorCode, message: this.detail };
  }
}

/** Anything thrown, as a DaprError with this code (one already a DaprError keeps its own). */
export function daprError(errorCode: DaprErrorCode, err: unknown): DaprError {
  if (err instanceof DaprError) return err;
  return new DaprError(errorCode, toMicroError(err, SIDECAR_ID));
}

/** A 400 with Dapr's ERR_MALFORMED_REQUEST. */
export function malformed(detail: string): DaprError {
  return new DaprError('ERR_MALFORMED_REQUEST', badRequest(SIDECAR_ID, detail));
}

/** Runs `fn`, turning what it throws into a DaprError with `errorCode`. */
export async function asDapr<T>(errorCode: DaprErrorCode, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw daprError(errorCode, err);
  }
}

/** A 503: the sidecar was started without the platform part a building block needs. */
export function notConfigured(errorCode: DaprErrorCode, what: string): DaprError {
  return new DaprError(
    errorCode,
    serviceUnavailable(SIDECAR_ID, `the sidecar was started without ${what}`),
  );
}
