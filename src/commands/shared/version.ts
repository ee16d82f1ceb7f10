import pkg from '../../../package.json' with { type: 'json' };

/** The version of micro, from package.json (bundled into the single executable). */
export const VERSION: string = pkg.version;
