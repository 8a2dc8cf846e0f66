// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
/**
 * With context assetsKeyArn, every role that reads CDK assets (found in the templates
 * by its s3:GetObject on the bootstrap assets bucket) may decrypt with that key,
 * through S3 only; without it, no role gets a grant on a key it does not need.
 */
import { PROFILES } from '../lib/config';
import { Json, Templates } from '../lib/cost/estimate';
import { render } from '../lib/review/report';
import { synthLake } from '../scripts/lib/synth';
import { lakeTemplates } from './lake-apps';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const list = (x: Json): Json[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Role logical id (stack/id) → the statements of its attached policies. */
function roleStatements(templates: Templates): Map<string, Json[]> {
  const byRole = new Map<string, Json[]>();
  for (const [stack, t] of Object.entries(templates)) {
    for (const policy of Object.values(t.Resources ?? {}).filter((r) => r.Type === 'AWS::IAM::Policy')) {
      for (const role of list(policy.Properties?.Roles)) {
        const key = `${stack}/${role.Ref}`;
        byRole.set(key, [...(byRole.get(key) ?? []), ...list(policy.Properties?.PolicyDocument?.Statement)]);
      }
    }
  }
  return byRole;
}

const readsAssets = (statements: Json[]) =>
  statements.some((s) => list(s.Action).includes('s3:GetObject') && list(s.Resource).some((r) => render(r).includes('cdk-hnb659fds-assets-')));

describe.each(PROFILES)('the %s app', (profile) => {
  test('with assetsKeyArn, every role that reads assets may decrypt them with the key through S3', () => {
    const byRole = roleStatements(synthLake({ profile, context: { assetsKeyArn: KEY } }).templates);
    const readers = [...byRole.entries()].filter(([, statements]) => readsAssets(statements));
    // The Spark job (batch) and the model artifact (serving) are the assets read at run time.
    expect([...new Set(readers.map(([role]) => role.split('/')[0]))].sort()).toEqual(['lake-batch', 'lake-serving']);
    for (const [role, statements] of readers) {
      expect([role, statements.find((s) => s.Sid === 'DecryptCdkAssets')]).toEqual([role, {
        Sid: 'DecryptCdkAssets',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: KEY,
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } } },
      }]);
    }
  });

  test('without it, no role gets the grant', () => {
    // The baseline's synth: the default prefix, no assetsKeyArn, shared with the replacement guard.
    const statements = [...roleStatements(lakeTemplates(profile)).values()].flat();
    expect(statements.filter((s) => s.Sid === 'DecryptCdkAssets')).toEqual([]);
  });
});
