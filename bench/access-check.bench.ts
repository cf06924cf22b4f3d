/**
 * What access control adds to each publish on the ingest path, in isolation: the caller lookup, the role check and
 * the sender stamp, against the topic parse alone (what the gateway did before). The end-to-end figure
 * (`AIFLOW_BENCH_BASELINE=<checkout> npm run bench:broker`) cannot resolve a few percent on a loaded machine; this
 * bounds it. Run: `node --import tsx bench/access-check.bench.ts` (`BENCH_PUBLISHES`, default 2,000,000).
 */
import { parseGrant, requireRole, type Caller } from '../protocol/access-roles.ts';
import { parseEventTopic } from '../protocol/topics.ts';
import { stampSender } from '../broker/sender-stamp.ts';

const publishes = Number(process.env.BENCH_PUBLISHES ?? 2_000_000);
const callers = new WeakMap<object, Caller>();
const client = { id: 'bench-pub0-1a2b3c4d' };
callers.set(client, { name: 'anonymous', grants: [parseGrant('publisher@default')] });

function perPublishNs(checked: boolean): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < publishes; i++) {
    const { namespace } = parseEventTopic('ns/default/bench');
    if (checked) {
      const caller = callers.get(client)!;
      requireRole(caller, 'publisher', namespace, 'publish events');
      sink += stampSender(caller, client.id, undefined).length;
    } else {
      sink += namespace.length + client.id.length;
    }
  }
  const ns = Number(process.hrtime.bigint() - start) / publishes;
  if (sink === 0) throw new Error('unreachable');
  return ns;
}

for (let round = 1; round <= 5; round++) {
  const without = perPublishNs(false);
  const withChecks = perPublishNs(true);
  console.log(
    `round ${round}: ${withChecks.toFixed(0)} ns per publish with the checks, ${without.toFixed(0)} without: ` +
      `+${(withChecks - without).toFixed(0)} ns`,
  );
}
