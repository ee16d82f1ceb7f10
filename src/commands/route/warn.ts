// After `micro route` stores a rule: a warning for each destination or mirror that no running node
// matches (a typo'd version, a label no node has). Such a destination gives its share to the
// others, and when no destination of a route has a node its calls fail with a 503; the rule is
// kept all the same (its version may be about to start). A registry that cannot be read gives no
// warning and fails nothing: the rule is stored already.
import type { Service } from '../../registry/registry.ts';
import { destinationName as named, reaches, routeName } from '../../platform/routing/apply.ts';
import type { TrafficRule } from '../../platform/routing/routing.ts';

/** One line per destination or mirror of `rule` that none of `services`' nodes matches. */
export function unreachedWarnings(rule: TrafficRule, services: Service[]): string[] {
  const running = [...new Set(services.filter((s) => s.nodes.length > 0).map((s) => s.version))];
  const now = running.length > 0 ? `versions running: ${running.join(', ')}` : 'no node is running';
  const out: string[] = [];
  rule.routes.forEach((r, i) => {
    const route = routeName(r, i);
    const dead = r.to.filter((d) => !reaches(d, services));
    for (const d of dead)
      out.push(
        dead.length === r.to.length
          ? `${route}: no node of ${rule.service} is ${named(d)} (${now}): the calls it takes fail with a 503 until one is`
          : `${route}: no node of ${rule.service} is ${named(d)} (${now}): its share goes to the route's other destinations`,
      );
    if (r.mirror && !reaches(r.mirror, services))
      out.push(
        `${route}: no node of ${rule.service} is ${named(r.mirror)} (${now}): nothing is mirrored`,
      );
  });
  return out;
}
