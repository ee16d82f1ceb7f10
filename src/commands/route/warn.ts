// After `micro route` stores a rule: one warning line when a destination or mirror of it has no
// running node (a typo'd version, a label no node has). Such a destination gives its share to the
// others; a route none of whose destinations has a node fails its calls with a 503; the rule is
// kept all the same (its version may be about to start). A registry that cannot be read gives no
// warning and fails nothing: the rule is stored already.
import type { Service } from '../../registry/registry.ts';
import { destinationName as named, reaches, routeName } from '../../platform/routing/apply.ts';
import type { TrafficRule } from '../../platform/routing/routing.ts';

/** The warning for the destinations and mirrors of `rule` that none of `services`' nodes matches, if any. */
export function unreachedWarning(rule: TrafficRule, services: Service[]): string | undefined {
  const dead = new Set<string>();
  const failing: string[] = [];
  let shared = false;
  let mirrored = false;
  rule.routes.forEach((r, i) => {
    const gone = r.to.filter((d) => !reaches(d, services));
    for (const d of gone) dead.add(named(d));
    if (gone.length === r.to.length) failing.push(routeName(r, i));
    else if (gone.length > 0) shared = true;
    if (r.mirror && !reaches(r.mirror, services)) {
      dead.add(named(r.mirror));
      mirrored = true;
    }
  });
  if (dead.size === 0) return undefined;
  const running = [...new Set(services.filter((s) => s.nodes.length > 0).map((s) => s.version))];
  const now = running.length > 0 ? `versions running: ${running.join(', ')}` : 'no node is running';
  const then = [
    failing.length > 0 &&
      `the calls ${failing.join(' and ')} ${failing.length === 1 ? 'takes' : 'take'} fail with a 503 until one is`,
    shared && 'its share goes to the other destinations',
    mirrored && 'the mirror copies nothing',
  ].filter(Boolean);
  return `no node of ${rule.service} is ${[...dead].join(' or ')} (${now}): ${then.join('; ')}`;
}
