import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { LakeCatalog, LakeCatalogProps } from '../../lib/constructs/lake-catalog';
import { testStack } from '../helpers';

interface Built {
  stack: Stack;
  catalog: LakeCatalog;
  key: kms.Key;
  template: Template;
}

/** Synthesizes on first access to `template`, so tests can add grants before. */
function build(props: Partial<LakeCatalogProps> = {}): Built {
  const stack = testStack();
  const key = new kms.Key(stack, 'Key');
  const catalog = new LakeCatalog(stack, 'Catalog', {
    databaseName: 'lake_lake',
    key,
    rawBucket: new s3.Bucket(stack, 'Raw'),
    curatedBucket: new s3.Bucket(stack, 'Curated'),
    ...props,
  });
  let template: Template | undefined;
  return {
    stack,
    catalog,
    key,
    get template() {
      return (template ??= Template.fromStack(stack));
    },
  };
}

function crawler(template: Template, idPrefix: string): Record<string, any> {
  const crawlers = template.findResources('AWS::Glue::Crawler');
  const id = Object.keys(crawlers).find((k) => k.startsWith(idPrefix));
  if (!id) throw new Error(`no crawler ${idPrefix} in ${Object.keys(crawlers).join(', ')}`);
  return crawlers[id].Properties;
}

function policyStatements(template: Template, rolePrefix: string): Record<string, any>[] {
  const policies = template.findResources('AWS::IAM::Policy');
  const policy = Object.values(policies).find((p: any) =>
    p.Properties.Roles.some((r: any) => String(r.Ref).startsWith(rolePrefix)),
  );
  if (!policy) throw new Error(`no policy for ${rolePrefix}`);
  return (policy as any).Properties.PolicyDocument.Statement;
}

function statement(template: Template, rolePrefix: string, sid: string): Record<string, any> {
  const found = policyStatements(template, rolePrefix).find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} for ${rolePrefix}`);
  return found;
}

/** A `Ref` to a logical id starting with `prefix`, for jest's `toEqual`. */
const ref = (prefix: string) => ({ Ref: expect.stringMatching(new RegExp(`^${prefix}`)) });
/** The same, for `Template` matchers. */
const refMatch = (prefix: string) => ({ Ref: Match.stringLikeRegexp(`^${prefix}`) });

describe('LakeCatalog', () => {
  describe('database', () => {
    test('is named from the prop and retained by default', () => {
      const { template } = build();
      template.hasResource('AWS::Glue::Database', {
        Properties: { DatabaseInput: Match.objectLike({ Name: 'lake_lake' }) },
        DeletionPolicy: 'Retain',
      });
    });

    test('follows the removal policy', () => {
      const { template } = build({ removalPolicy: RemovalPolicy.DESTROY });
      template.hasResource('AWS::Glue::Database', { DeletionPolicy: 'Delete' });
    });

    test('leaves account-level Data Catalog encryption alone by default', () => {
      const { template } = build();
      template.resourceCountIs('AWS::Glue::DataCatalogEncryptionSettings', 0);
    });

    test('encrypts the account Data Catalog with the key when asked', () => {
      const { template } = build({ encryptDataCatalog: true });
      template.hasResourceProperties('AWS::Glue::DataCatalogEncryptionSettings', {
        DataCatalogEncryptionSettings: {
          EncryptionAtRest: { CatalogEncryptionMode: 'SSE-KMS', SseAwsKmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } },
        },
      });
    });
  });

  describe('security configuration', () => {
    test('encrypts CloudWatch logs and S3 with SSE-KMS and job bookmarks with CSE-KMS, all with the key', () => {
      const { template } = build();
      const keyArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] };
      template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
        EncryptionConfiguration: {
          CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: keyArn },
          S3Encryptions: [{ S3EncryptionMode: 'SSE-KMS', KmsKeyArn: keyArn }],
          JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS', KmsKeyArn: keyArn },
        },
      });
    });

    test('lets CloudWatch Logs use the key for exactly the two crawler log groups', () => {
      const { template } = build();
      const arn = (role: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' },
        `:log-group:/aws-glue/crawlers-role/TestStack-Catalog-2297A872-${role}-TestStack-Catalog-2297A872`]] });
      template.hasResourceProperties('AWS::KMS::Key', {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
              Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': [arn('Raw'), arn('Curated')] } },
            }),
          ]),
        },
      });
    });

    test('encrypts the crawler logs with the log key when one is given', () => {
      const stack = testStack();
      const logKey = new kms.Key(stack, 'LogKey');
      new LakeCatalog(stack, 'Catalog', {
        databaseName: 'lake_lake', key: new kms.Key(stack, 'Key'), logEncryptionKey: logKey,
        rawBucket: new s3.Bucket(stack, 'Raw'), curatedBucket: new s3.Bucket(stack, 'Curated'),
      });
      const template = Template.fromStack(stack);
      template.allResourcesProperties('AWS::Logs::LogGroup', { KmsKeyId: stack.resolve(logKey.keyArn) });
      template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
        EncryptionConfiguration: Match.objectLike({ CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: stack.resolve(logKey.keyArn) } }),
      });
    });

    test('warns that an imported key needs the logs statement added by hand', () => {
      // Synthesis prints the warning too; keep the test output quiet.
      const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      const stack = testStack();
      new LakeCatalog(stack, 'Catalog', {
        databaseName: 'lake_lake',
        key: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
        rawBucket: new s3.Bucket(stack, 'Raw'),
        curatedBucket: new s3.Bucket(stack, 'Curated'),
      });
      Annotations.fromStack(stack).hasWarning('/TestStack/Catalog', Match.stringLikeRegexp('let logs.<region>.amazonaws.com use it for /aws-glue/crawlers-role/'));
      quiet.mockRestore();
    });

    test('follows the removal policy', () => {
      build().template.hasResource('AWS::Glue::SecurityConfiguration', { DeletionPolicy: 'Retain' });
      build({ removalPolicy: RemovalPolicy.DESTROY }).template.hasResource('AWS::Glue::SecurityConfiguration', { DeletionPolicy: 'Delete' });
    });

    test('is attached to both crawlers', () => {
      const { template } = build();
      for (const id of ['CatalogRawCrawler', 'CatalogCuratedCrawler']) {
        expect(crawler(template, id).CrawlerSecurityConfiguration).toEqual(ref('CatalogSecurityConfiguration'));
      }
    });
  });

  describe('crawlers', () => {
    test('the raw crawler targets each raw dataset folder with the raw_ prefix', () => {
      const { template } = build();
      const props = crawler(template, 'CatalogRawCrawler');
      expect(props.TablePrefix).toBe('raw_');
      expect(props.DatabaseName).toEqual(ref('CatalogDatabase'));
      expect(props.Targets).toEqual({
        S3Targets: [{ Path: { 'Fn::Join': ['', ['s3://', ref('Raw'), '/raw/payments/']] } }],
      });
    });

    test('the curated crawler targets both curated views with the curated_ prefix and skips Spark markers', () => {
      const { template } = build();
      const props = crawler(template, 'CatalogCuratedCrawler');
      expect(props.TablePrefix).toBe('curated_');
      const exclusions = ['**/_SUCCESS', '**_$folder$', '**/_temporary/**', '**/_spark_metadata/**'];
      expect(props.Targets.S3Targets).toEqual([
        { Path: { 'Fn::Join': ['', ['s3://', ref('Curated'), '/curated/payments/']] }, Exclusions: exclusions },
        { Path: { 'Fn::Join': ['', ['s3://', ref('Curated'), '/curated/merchant_daily/']] }, Exclusions: exclusions },
      ]);
    });

    test('prefixes and datasets are props', () => {
      const { template, catalog } = build({ rawPrefix: 'landing/', rawDatasets: ['payments', 'refunds'] });
      expect(catalog.raw.tableNames).toEqual(['raw_payments', 'raw_refunds']);
      expect(crawler(template, 'CatalogRawCrawler').Targets.S3Targets.map((t: any) => t.Path['Fn::Join'][1][2])).toEqual([
        '/landing/payments/',
        '/landing/refunds/',
      ]);
    });

    test.each(['CatalogRawCrawler', 'CatalogCuratedCrawler'])('%s crawls new folders only, with the LOG behaviours Glue requires for it', (id) => {
      const { template } = build();
      const props = crawler(template, id);
      expect(props.RecrawlPolicy).toEqual({ RecrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' });
      expect(props.SchemaChangePolicy).toEqual({ UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' });
    });

    test.each(['CatalogRawCrawler', 'CatalogCuratedCrawler'])('%s combines compatible schemas and lets partitions inherit the table schema', (id) => {
      const { template } = build();
      expect(JSON.parse(crawler(template, id).Configuration)).toEqual({
        Version: 1,
        Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' },
        CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
      });
    });

    test('run on demand by default, so an idle lake costs nothing', () => {
      const { template } = build();
      expect(crawler(template, 'CatalogRawCrawler').Schedule).toBeUndefined();
      expect(crawler(template, 'CatalogCuratedCrawler').Schedule).toBeUndefined();
    });

    test('take their schedules from the props', () => {
      const { template } = build({ rawCrawlerSchedule: 'cron(30 0 * * ? *)', curatedCrawlerSchedule: 'cron(0 5 * * ? *)' });
      expect(crawler(template, 'CatalogRawCrawler').Schedule).toEqual({ ScheduleExpression: 'cron(30 0 * * ? *)' });
      expect(crawler(template, 'CatalogCuratedCrawler').Schedule).toEqual({ ScheduleExpression: 'cron(0 5 * * ? *)' });
    });

    test('each has its own role that Glue assumes', () => {
      const { template, catalog } = build();
      expect(catalog.raw.role).not.toBe(catalog.curated.role);
      expect(crawler(template, 'CatalogRawCrawler').Role).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^CatalogRawCrawlerRole/), 'Arn'] });
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'glue.amazonaws.com' } })] },
      });
    });
  });

  describe('crawler roles', () => {
    test('use no managed policies', () => {
      const { template } = build();
      for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
        expect((role as any).Properties.ManagedPolicyArns).toBeUndefined();
      }
    });

    test('read objects only under their own datasets', () => {
      const { template } = build();
      expect(statement(template, 'CatalogRawCrawlerRole', 'ReadDatasets')).toEqual(
        expect.objectContaining({
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Raw/), 'Arn'] }, '/raw/payments/*']] },
        }),
      );
    });

    test('list the bucket only under their own datasets, when a request names a prefix', () => {
      const { template } = build();
      expect(statement(template, 'CatalogCuratedCrawlerRole', 'ListDatasets')).toEqual(
        expect.objectContaining({
          Action: 's3:ListBucket',
          Condition: {
            StringLikeIfExists: { 's3:prefix': ['curated/payments/', 'curated/payments/*', 'curated/merchant_daily/', 'curated/merchant_daily/*'] },
          },
        }),
      );
    });

    test('use the key without wildcard actions', () => {
      const { template } = build();
      expect(statement(template, 'CatalogRawCrawlerRole', 'UseLakeKey')).toEqual(
        expect.objectContaining({
          Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] },
        }),
      );
    });

    test('write only their own tables in their own database', () => {
      const { template } = build();
      const resources = statement(template, 'CatalogRawCrawlerRole', 'WriteOwnTables').Resource;
      const texts = resources.map((r: any) => JSON.stringify(r));
      expect(texts).toHaveLength(3);
      expect(texts[0]).toMatch(/:catalog"\]\]\}$/);
      expect(texts[1]).toMatch(/:database\/",\{"Ref":"CatalogDatabase[0-9A-F]+"\}\]\]\}$/);
      expect(texts[2]).toMatch(/:table\/",\{"Ref":"CatalogDatabase[0-9A-F]+"\},"\/raw_payments"\]\]\}$/);
      expect(statement(template, 'CatalogRawCrawlerRole', 'WriteOwnTables').Action).toEqual(
        expect.arrayContaining(['glue:CreateTable', 'glue:UpdateTable', 'glue:BatchCreatePartition']),
      );
      expect(JSON.stringify(statement(template, 'CatalogRawCrawlerRole', 'WriteOwnTables').Action)).not.toMatch(/Delete|\*/);
    });

    test('write logs only to their own encrypted log group', () => {
      const { template } = build();
      const s = statement(template, 'CatalogCuratedCrawlerRole', 'WriteOwnEncryptedLogs');
      expect(s.Action).toEqual(['logs:AssociateKmsKey', 'logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']);
      const [group, streams] = s.Resource.map((r: unknown) => JSON.stringify(r)).sort();
      expect(group).toMatch(/:log-group:\/aws-glue\/crawlers-role\/TestStack-Catalog-2297A872-Curated-TestStack-Catalog-2297A872"\]\]\}$/);
      expect(streams).toBe(group.replace(/"\]\]\}$/, ':*"]]}'));
    });
  });

  describe('crawler log groups', () => {
    test('are created up front under the name Glue uses, encrypted with the key, with a month of retention', () => {
      const { template } = build();
      template.resourceCountIs('AWS::Logs::LogGroup', 2);
      template.hasResourceProperties('AWS::Logs::LogGroup', {
        // Glue's form, /aws-glue/crawlers-role/<role name>-<security configuration name>, from the names set here.
        LogGroupName: '/aws-glue/crawlers-role/TestStack-Catalog-2297A872-Raw-TestStack-Catalog-2297A872',
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
        RetentionInDays: 30,
      });
    });

    test('follow the removal policy and retention props, so a sandbox destroy leaves none behind', () => {
      const { template } = build({ removalPolicy: RemovalPolicy.DESTROY, logRetention: 7 });
      template.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ RetentionInDays: 7 }) });
    });

    test('exist before the crawlers', () => {
      const { template } = build();
      const crawlers = template.findResources('AWS::Glue::Crawler');
      const raw = Object.entries(crawlers).find(([id]) => id.startsWith('CatalogRawCrawler'))?.[1] as any;
      expect(raw.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^CatalogRawCrawlerLogs/)]));
    });
  });

  describe('failure notification', () => {
    test('is off without an alarm topic', () => {
      const { template, catalog } = build();
      expect(catalog.crawlerFailureRule).toBeUndefined();
      template.resourceCountIs('AWS::Events::Rule', 0);
    });

    test('sends failed crawls of both crawlers to the topic', () => {
      const stack = testStack();
      const topic = new sns.Topic(stack, 'Alarms');
      new LakeCatalog(stack, 'Catalog', {
        databaseName: 'lake_lake',
        key: new kms.Key(stack, 'Key'),
        rawBucket: new s3.Bucket(stack, 'Raw'),
        curatedBucket: new s3.Bucket(stack, 'Curated'),
        alarmTopic: topic,
      });
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          source: ['aws.glue'],
          'detail-type': ['Glue Crawler State Change'],
          detail: { state: ['Failed'], crawlerName: [refMatch('CatalogRawCrawler'), refMatch('CatalogCuratedCrawler')] },
        },
        Targets: [Match.objectLike({ Arn: refMatch('Alarms') })],
      });
    });
  });

  describe('grantRead', () => {
    test('grants Glue read on the database and its tables, nothing to write', () => {
      const { stack, catalog } = build();
      const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
      catalog.grantRead(role);
      const template = Template.fromStack(stack);
      const statements = policyStatements(template, 'Reader');
      expect(statements).toHaveLength(1);
      expect(statements[0].Action).toEqual([
        'glue:BatchGetPartition',
        'glue:GetDatabase',
        'glue:GetPartition',
        'glue:GetPartitions',
        'glue:GetTable',
        'glue:GetTables',
      ]);
      expect(JSON.stringify(statements[0].Resource[2])).toMatch(/:table\/",\{"Ref":"CatalogDatabase[0-9A-F]+"\},"\/\*"\]\]\}$/);
    });

    test('adds decrypt on the key when the Data Catalog is encrypted', () => {
      const { stack, catalog } = build({ encryptDataCatalog: true });
      const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
      catalog.grantRead(role);
      const statements = policyStatements(Template.fromStack(stack), 'Reader');
      expect(statements.map((s) => s.Action)).toContainEqual('kms:Decrypt');
    });
  });

  describe('validation', () => {
    test('rejects a database name Athena cannot query', () => {
      expect(() => build({ databaseName: 'Lake-DB' })).toThrow(
        'LakeCatalog: databaseName must be 1–255 lower-case letters, digits or underscores (Athena\'s rule), got "Lake-DB"',
      );
    });

    test('rejects a prefix without a trailing slash', () => {
      expect(() => build({ curatedPrefix: 'curated' })).toThrow(
        'LakeCatalog: curatedPrefix must be one or more folder names each ending with "/", got "curated"',
      );
    });

    test('rejects duplicate or empty dataset lists', () => {
      expect(() => build({ rawDatasets: [] })).toThrow(
        'LakeCatalog: rawDatasets must be distinct names of lower-case letters, digits or underscores, at least one, got []',
      );
      expect(() => build({ curatedDatasets: ['payments', 'payments'] })).toThrow(
        'LakeCatalog: curatedDatasets must be distinct names of lower-case letters, digits or underscores, at least one, got [payments, payments]',
      );
    });

    test('rejects a schedule that is not a Glue cron expression', () => {
      expect(() => build({ rawCrawlerSchedule: 'rate(1 day)' })).toThrow(
        'LakeCatalog: rawCrawlerSchedule must be a Glue cron expression with 6 fields, e.g. cron(30 0 * * ? *), got "rate(1 day)"',
      );
      expect(() => build({ curatedCrawlerSchedule: 'cron(0 5 * * *)' })).toThrow(
        'LakeCatalog: curatedCrawlerSchedule must be a Glue cron expression with 6 fields, e.g. cron(30 0 * * ? *), got "cron(0 5 * * *)"',
      );
    });
  });
});
