// The files `micro new` writes, by template.
import { appFiles } from './app.ts';
import { pubsubFiles } from './pubsub.ts';
import { serviceFiles } from './service.ts';
import { webFiles } from './web.ts';

/** The templates `micro new --template` offers, by name. */
export const TEMPLATES = {
  service: serviceFiles,
  pubsub: pubsubFiles,
  web: webFiles,
  app: appFiles,
} satisfies Record<string, (name: string) => Record<string, string>>;
