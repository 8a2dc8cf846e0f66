import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { QueryWorkgroup, QueryWorkgroupProps } from '../../lib/constructs/query-workgroup';
import { testStack } from '../helpers';

interface Built {
  stack: Stack;
  workgroup: QueryWorkgroup;
  template: Template;
}

/** Synthesizes on first access to `template`, so tests can add grants before. */
function build(props: Partial<QueryWorkgroupProps> = {}): Built {
  const stack = testStack();
  const workgroup = new QueryWorkgroup(stack, 'Queries', {
    workGroupName: 'lake-lake',
    resultsBucket: new s3.Bucket(stack, 'Results'),
    key: new kms.Key(stack, 'Key'),
    alarmTopic: new sns.Topic(stack, 'Alarms'),
    ...props,
  });
  let template: Template | undefined;
  return {
    stack,
    workgroup,
    get template() {
      return (template ??= Template.fromStack(stack));
    },
  };
}

function configuration(template: Template): Record<string, any> {
  const [wg] = Object.values(template.findResources('AWS::Athena::WorkGroup'));
  return (wg as any).Properties.WorkGroupConfiguration;
}

const QUERIES = [
  { name: 'one', description: 'first', sql: 'SELECT 1' },
  { name: 'two', description: 'second', sql: 'SELECT 2' },
];

describe('QueryWorkgroup', () => {
  describe('workgroup', () => {
    test('pins the latest engine version, Athena engine version 3', () => {
      const { template } = build();
      expect(configuration(template).EngineVersion).toEqual({ SelectedEngineVersion: 'Athena engine version 3' });
    });

    test('enforces its configuration over client-side settings', () => {
      const { template } = build();
      expect(configuration(template).EnforceWorkGroupConfiguration).toBe(true);
    });

    test('publishes CloudWatch metrics', () => {
      const { template } = build();
      expect(configuration(template).PublishCloudWatchMetricsEnabled).toBe(true);
    });

    test('writes results under athena/ in the results bucket, SSE_KMS with the key', () => {
      const { template } = build();
      expect(configuration(template).ResultConfiguration).toEqual({
        OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^Results/) }, '/athena/']] },
        EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] } },
      });
    });

    test('takes the results prefix from the props', () => {
      const { template } = build({ resultsPrefix: 'results/adhoc/' });
      expect(configuration(template).ResultConfiguration.OutputLocation['Fn::Join'][1][2]).toBe('/results/adhoc/');
    });

    test('cuts off a query after 1 GB by default', () => {
      const { template } = build();
      expect(configuration(template).BytesScannedCutoffPerQuery).toBe(1_000_000_000);
    });

    test('takes the per-query cutoff from the props, down to the 10 MB minimum', () => {
      const { template } = build({ bytesScannedCutoffPerQuery: 10_000_000 });
      expect(configuration(template).BytesScannedCutoffPerQuery).toBe(10_000_000);
    });

    test('keeps saved queries and history on stack deletion by default', () => {
      const { template } = build();
      template.hasResourceProperties('AWS::Athena::WorkGroup', { Name: 'lake-lake', RecursiveDeleteOption: false });
    });

    test('retains the workgroup by default, but never keeps a replaced named query', () => {
      const { template } = build({ databaseName: 'db', namedQueries: QUERIES });
      template.hasResource('AWS::Athena::WorkGroup', { DeletionPolicy: 'Retain' });
      template.allResources('AWS::Athena::NamedQuery', { DeletionPolicy: Match.absent(), UpdateReplacePolicy: Match.absent() });
    });

    test('follows the removal policy', () => {
      const { template } = build({ removalPolicy: RemovalPolicy.DESTROY });
      template.hasResource('AWS::Athena::WorkGroup', { DeletionPolicy: 'Delete' });
    });

    test('deletes recursively when asked, so a sandbox destroys cleanly', () => {
      const { template } = build({ recursiveDeleteOption: true });
      template.hasResourceProperties('AWS::Athena::WorkGroup', { RecursiveDeleteOption: true });
    });
  });

  describe('data-scanned alarm', () => {
    test('sums the workgroup\'s ProcessedBytes over an hour against 10 GB by default', () => {
      const { template } = build();
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Athena',
        MetricName: 'ProcessedBytes',
        Dimensions: [{ Name: 'WorkGroup', Value: { Ref: Match.stringLikeRegexp('^QueriesWorkGroup') } }],
        Statistic: 'Sum',
        Period: 3600,
        EvaluationPeriods: 1,
        Threshold: 10_000_000_000,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    test('takes threshold and period from the props', () => {
      const { template } = build({ dataScannedAlarmBytes: 5_000_000_000, dataScannedAlarmPeriod: Duration.days(1) });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 5_000_000_000, Period: 86_400 });
    });

    test('notifies the alarm topic', () => {
      const { template } = build();
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
      });
    });
  });

  describe('named queries', () => {
    test('creates none by default', () => {
      const { template } = build();
      template.resourceCountIs('AWS::Athena::NamedQuery', 0);
    });

    test('creates each in the workgroup and the database', () => {
      const { template, workgroup } = build({ databaseName: 'lake_lake', namedQueries: QUERIES });
      expect(workgroup.namedQueries).toHaveLength(2);
      template.hasResourceProperties('AWS::Athena::NamedQuery', {
        Name: 'two',
        Description: 'second',
        Database: 'lake_lake',
        QueryString: 'SELECT 2',
        WorkGroup: { Ref: Match.stringLikeRegexp('^QueriesWorkGroup') },
      });
    });
  });

  describe('grantQuery', () => {
    function granted(): Record<string, any>[] {
      const { stack, workgroup } = build();
      const role = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
      workgroup.grantQuery(role);
      const [policy] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
      return (policy as any).Properties.PolicyDocument.Statement;
    }

    test('allows running and reading queries and named queries in this workgroup only', () => {
      const athena = granted().find((s) => JSON.stringify(s.Action).includes('athena:'));
      expect(athena?.Action).toEqual([
        'athena:BatchGetNamedQuery',
        'athena:GetNamedQuery',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:GetWorkGroup',
        'athena:ListNamedQueries',
        'athena:StartQueryExecution',
        'athena:StopQueryExecution',
      ]);
      expect(athena?.Resource).toEqual({
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':athena:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':workgroup/', { Ref: expect.stringMatching(/^QueriesWorkGroup/) }],
        ],
      });
    });

    test('allows reading and writing results under the prefix only', () => {
      const put = granted().find((s) => JSON.stringify(s.Action).includes('s3:PutObject'));
      const objects = JSON.stringify(put?.Resource);
      expect(objects).toContain('"/athena/*"');
      expect(objects).not.toMatch(/"\/\*"/);
    });

    test('allows encrypting and decrypting with the key', () => {
      const kmsStatement = granted().find((s) => JSON.stringify(s.Action).includes('kms:Decrypt'));
      expect(kmsStatement?.Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt']));
      expect(kmsStatement?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
    });

    test('grants no Glue or lake-zone access (the caller adds those)', () => {
      expect(JSON.stringify(granted().map((s) => s.Action))).not.toContain('glue:');
    });
  });

  test('metricDataScanned carries the workgroup dimension', () => {
    const { stack, workgroup } = build();
    const metric = stack.resolve(workgroup.metricDataScanned().dimensions);
    expect(metric).toEqual({ WorkGroup: { Ref: expect.stringMatching(/^QueriesWorkGroup/) } });
  });

  describe('validation', () => {
    test('rejects a per-query cutoff under 10 MB', () => {
      expect(() => build({ bytesScannedCutoffPerQuery: 9_999_999 })).toThrow(
        'QueryWorkgroup: bytesScannedCutoffPerQuery must be a whole number of bytes ≥ 10000000 (10 MB, the Athena minimum), got 9999999',
      );
    });

    test('rejects a fractional cutoff', () => {
      expect(() => build({ bytesScannedCutoffPerQuery: 10_000_000.5 })).toThrow(
        'QueryWorkgroup: bytesScannedCutoffPerQuery must be a whole number of bytes ≥ 10000000 (10 MB, the Athena minimum), got 10000000.5',
      );
    });

    test('rejects a non-positive alarm threshold', () => {
      expect(() => build({ dataScannedAlarmBytes: 0 })).toThrow(
        'QueryWorkgroup: dataScannedAlarmBytes must be a whole number of bytes ≥ 1, got 0',
      );
    });

    test('rejects an alarm period CloudWatch cannot evaluate', () => {
      expect(() => build({ dataScannedAlarmPeriod: Duration.seconds(90) })).toThrow(
        'QueryWorkgroup: dataScannedAlarmPeriod must be whole minutes from 1 minute to 1 day, got 90 seconds',
      );
      expect(() => build({ dataScannedAlarmPeriod: Duration.days(2) })).toThrow(
        'QueryWorkgroup: dataScannedAlarmPeriod must be whole minutes from 1 minute to 1 day, got 172800 seconds',
      );
    });

    test('rejects a bad workgroup name', () => {
      expect(() => build({ workGroupName: 'lake lake' })).toThrow(
        'QueryWorkgroup: workGroupName must be 1–128 letters, digits, ".", "_" or "-", got "lake lake"',
      );
    });

    test('rejects a results prefix without a trailing slash', () => {
      expect(() => build({ resultsPrefix: 'athena' })).toThrow(
        'QueryWorkgroup: resultsPrefix must be one or more folder names each ending with "/", got "athena"',
      );
    });

    test('requires a database for named queries', () => {
      expect(() => build({ namedQueries: QUERIES })).toThrow(
        'QueryWorkgroup: databaseName must be set when namedQueries is not empty, got undefined',
      );
    });

    test('rejects duplicate named-query names', () => {
      expect(() => build({ databaseName: 'db', namedQueries: [QUERIES[0], QUERIES[0]] })).toThrow(
        'QueryWorkgroup: namedQueries names must be unique and 1–128 characters, got "one"',
      );
    });

    test('rejects empty SQL', () => {
      expect(() => build({ databaseName: 'db', namedQueries: [{ name: 'x', description: '', sql: '  ' }] })).toThrow(
        'QueryWorkgroup: namedQueries sql must be 1–262144 characters, got 2 for "x"',
      );
    });
  });
});
