// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
/**
 * Retention by profile, over every template of the real app:
 *  - production keeps every stateful resource on stack deletion and on replacement;
 *  - a sandbox `cdk destroy --all` leaves nothing behind;
 *  - every log group a deployed lake writes to is a LogGroup resource of a template,
 *    with a retention and the profile's deletion policy (none is left for a service
 *    to create on first write).
 * All of it is derived from the templates and resource types, so it covers
 * resources added later as well.
 */
import { PROFILES, ProfileName } from '../lib/config';
import { CfnResource } from '../lib/cost/estimate';
import { destroyLeftovers } from '../lib/review/leftovers';
import { logInventory } from '../lib/review/log-groups';
import { STATEFUL_TYPES } from '../lib/review/replacement-guard';
import { lake, lakeTemplates } from './lake-apps';

function statefulResources(profile: ProfileName): Array<[string, CfnResource]> {
  return Object.entries(lakeTemplates(profile)).flatMap(([stack, t]) =>
    Object.entries(t.Resources ?? {}).filter(([, r]) => r.Type in STATEFUL_TYPES).map(([id, r]): [string, CfnResource] => [`${stack}/${id}`, r]));
}

describe('production', () => {
  test('retains every stateful resource on stack deletion and on replacement', () => {
    const stateful = statefulResources('production');
    expect(stateful.length).toBeGreaterThan(20);
    for (const [where, r] of stateful) expect([where, r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual([where, 'Retain', 'Retain']);
  });
});

describe('sandbox', () => {
  test('cdk destroy --all leaves nothing behind', () => {
    expect(destroyLeftovers(lakeTemplates('sandbox'))).toEqual([]);
  });

  test('deletes every stateful resource with its stack', () => {
    const stateful = statefulResources('sandbox');
    expect(stateful.length).toBeGreaterThan(15);
    for (const [where, r] of stateful) expect([where, r.DeletionPolicy]).toEqual([where, 'Delete']);
  });

  test('no stack has termination protection', () => {
    const stacks = Object.values(lake({ profile: 'sandbox' })).filter((s) => s !== undefined);
    expect(stacks.filter((s) => s.terminationProtection).map((s) => s.stackName)).toEqual([]);
  });
});

describe.each(PROFILES)('the %s log-group inventory', (profile) => {
  const inventory = () => logInventory(lakeTemplates(profile));
  const deletionPolicy = profile === 'production' ? 'Retain' : 'Delete';

  test('knows every resource type in the templates: each logs somewhere it can name, or writes no logs', () => {
    expect(inventory().unclassified).toEqual([]);
  });

  test('finds the functions, the endpoint, the crawlers, the delivery stream and the flow log among the writers', () => {
    const writers = new Set(inventory().destinations.map((d) => d.writerType));
    expect([...writers]).toEqual(expect.arrayContaining([
      'AWS::Lambda::Function', 'AWS::SageMaker::Endpoint', 'AWS::Glue::Crawler', 'AWS::KinesisFirehose::DeliveryStream', 'AWS::EC2::FlowLog',
    ]));
  });

  test(`every group written to is a LogGroup of a template with a retention and DeletionPolicy ${deletionPolicy}`, () => {
    for (const d of inventory().destinations) {
      const where = `${d.stack}/${d.writer} → ${d.logGroup}`;
      const owner = d.owner?.resource;
      expect([where, owner?.Type, typeof owner?.Properties?.RetentionInDays, owner?.DeletionPolicy])
        .toEqual([where, 'AWS::Logs::LogGroup', 'number', deletionPolicy]);
    }
  });
});
