// The events area's errors: every implementation raises these, with id `events`, so callers tell
// them apart by code (400 bad input, 404 no such group) whatever the engine.
import { badRequest, notFound, type MicroError } from '../../runtime/errors.ts';

/** The id of the events area's errors, on the wire and in TypeScript. */
export const EVENTS_ID = 'events';

/** A 400 from the events area. */
export const invalid = (detail: string): MicroError => badRequest(EVENTS_ID, detail);

/** A 404 from the events area. */
export const missing = (detail: string): MicroError => notFound(EVENTS_ID, detail);

export { kind, shown } from '../store/errors.ts';
