import { Annotations, ArnFormat, Aws, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface LakeCatalogProps {
  /**
   * Glue database for every table the crawlers create. Athena allows lower-case
   * letters, digits and underscores only.
   */
  readonly databaseName: string;
  /**
   * The lake key: it decrypts the zones the crawlers read, and encrypts Glue job output
   * and job bookmarks (and the crawler logs, without `logEncryptionKey`).
   */
  readonly key: kms.IKey;
  /**
   * Key for the crawlers' log groups (and the security configuration's CloudWatch
   * encryption). Its policy gets a statement that lets CloudWatch Logs use it for exactly
   * those log groups (a key defined in this app only).
   * @default - the lake key (`key`)
   */
  readonly logEncryptionKey?: kms.IKey;
  /** Bucket of the raw zone (newline-delimited JSON written by Firehose). */
  readonly rawBucket: s3.IBucket;
  /** Bucket of the curated zone (Parquet written by Spark). */
  readonly curatedBucket: s3.IBucket;
  /**
   * Key prefix of the raw zone in its bucket; ends with `/`.
   * @default 'raw/'
   */
  readonly rawPrefix?: string;
  /**
   * Key prefix of the curated zone in its bucket; ends with `/`.
   * @default 'curated/'
   */
  readonly curatedPrefix?: string;
  /**
   * Datasets (folders under the raw prefix) the raw crawler catalogs, one table each: `raw_<dataset>`.
   * @default ['payments']
   */
  readonly rawDatasets?: string[];
  /**
   * Datasets (folders under the curated prefix) the curated crawler catalogs, one table each: `curated_<dataset>`.
   * @default ['payments', 'merchant_daily']
   */
  readonly curatedDatasets?: string[];
  /**
   * When the raw crawler runs, as a Glue cron expression (`cron(30 0 * * ? *)`).
   * @default - on demand only, so an idle lake costs nothing
   */
  readonly rawCrawlerSchedule?: string;
  /**
   * When the curated crawler runs, as a Glue cron expression.
   * @default - on demand only
   */
  readonly curatedCrawlerSchedule?: string;
  /**
   * Encrypt the account's Glue Data Catalog at rest with `key`. This is an account- and
   * Region-wide setting: every principal that reads or writes any catalog object in the
   * Region then needs `kms:Decrypt` (and writers `kms:Encrypt`/`kms:GenerateDataKey`) on
   * the key. Enable it in one stack per account and Region only.
   * @default false
   */
  readonly encryptDataCatalog?: boolean;
  /**
   * What happens to the database (and its table definitions), the security configuration and
   * the crawler log groups when the stack is deleted. The data in S3 is not affected either way.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the crawlers' log groups.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Topic notified when a crawl fails (EventBridge "Glue Crawler State Change", state Failed).
   * The topic must let `events.amazonaws.com` publish (and use its key).
   * @default - no failure notification
   */
  readonly alarmTopic?: sns.ITopic;
}

/** One crawled zone: its crawler, the crawler's role and the tables it may write. */
export interface CatalogZone {
  readonly crawler: glue.CfnCrawler;
  readonly role: iam.Role;
  /**
   * The crawler's log group, created here with retention and the key so that it is deleted
   * with the stack; Glue would otherwise create it on the first crawl and keep it forever.
   */
  readonly logGroup: logs.LogGroup;
  /** The log group's name, `/aws-glue/crawlers-role/<role name>-<security configuration name>`. */
  readonly logGroupName: string;
  /** Table-name prefix, e.g. `raw_`. */
  readonly tablePrefix: string;
  /** The S3 include paths, one per dataset. */
  readonly paths: string[];
  /** The datasets' key prefixes in the bucket, e.g. `raw/payments/`. */
  readonly keyPrefixes: string[];
  /** The tables the crawler creates, one per dataset: `<tablePrefix><dataset>`. */
  readonly tableNames: string[];
}

const DATABASE_NAME = /^[a-z0-9_]{1,255}$/;
const DATASET_NAME = /^[a-z0-9_]{1,100}$/;
const PREFIX = /^(?:[A-Za-z0-9!_.*'()-]+\/)+$/;
const GLUE_CRON = /^cron\(\S+( \S+){5}\)$/;

/** Spark and EMRFS leave markers next to Parquet files; they are not data. */
const CURATED_EXCLUSIONS = ['**/_SUCCESS', '**_$folder$', '**/_temporary/**', '**/_spark_metadata/**'];

/**
 * The Glue side of the lake: a database, a security configuration and one crawler per zone.
 *
 * - The raw crawler catalogs `s3://<raw>/<rawPrefix><dataset>/` as `raw_<dataset>`, the curated
 *   crawler `s3://<curated>/<curatedPrefix><dataset>/` as `curated_<dataset>`. Each dataset
 *   folder is its own include path, so one dataset gives exactly one table, partitioned by the
 *   `event_date=` folders below it.
 * - Crawls after the first only visit folders added since the last crawl
 *   (CRAWL_NEW_FOLDERS_ONLY); Glue then requires the LOG schema-change behaviours.
 * - Each crawler has its own role: read on its datasets' prefixes, decrypt with the key,
 *   catalog writes on its own tables, and its own encrypted log group.
 */
export class LakeCatalog extends Construct {
  public readonly database: glue.Database;
  /** Encrypts crawler and job logs (SSE-KMS), job output in S3 (SSE-KMS) and job bookmarks (CSE-KMS). */
  public readonly securityConfiguration: glue.SecurityConfiguration;
  public readonly raw: CatalogZone;
  public readonly curated: CatalogZone;
  /** Sends failed crawls to the alarm topic; undefined without `alarmTopic`. */
  public readonly crawlerFailureRule?: events.Rule;
  /** The account catalog, encrypted with the key when `encryptDataCatalog` is set. */
  public readonly catalog: glue.ICatalog;

  private readonly key: kms.IKey;
  private readonly logKey: kms.IKey;
  private readonly securityConfigurationName: string;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);

    const { rawPrefix, curatedPrefix, rawDatasets, curatedDatasets, encryptDataCatalog, removalPolicy, logRetention } = validate(props);

    this.key = props.key;
    this.logKey = props.logEncryptionKey ?? props.key;

    // The account catalog's encryption must be fixed before anything in the stack uses the catalog.
    this.catalog = encryptDataCatalog
      ? glue.Catalog.encryptAccount(this, { encryptionAtRest: glue.DataCatalogEncryptionAtRest.kms(props.key) })
      : glue.Catalog.forAccount(this);

    this.database = new glue.Database(this, 'Database', {
      databaseName: props.databaseName,
      description: 'Data lake: raw_* tables from the raw zone, curated_* tables from the curated zone',
      catalog: this.catalog,
      removalPolicy,
    });

    // Named, like the crawler roles: the crawler log groups are named after both, and a key
    // policy can then name exactly those groups.
    this.securityConfigurationName = Names.uniqueResourceName(this, { maxLength: 200, separator: '-' });
    this.securityConfiguration = new glue.SecurityConfiguration(this, 'SecurityConfiguration', {
      securityConfigurationName: this.securityConfigurationName,
      cloudWatchEncryption: glue.CloudWatchEncryption.kms(this.logKey),
      s3Encryption: glue.S3Encryption.kms(props.key),
      jobBookmarksEncryption: glue.JobBookmarksEncryption.clientSideKms(props.key),
      removalPolicy,
    });

    this.raw = this.addZone('Raw', {
      bucket: props.rawBucket,
      prefix: rawPrefix,
      datasets: rawDatasets,
      tablePrefix: 'raw_',
      exclusions: [],
      schedule: props.rawCrawlerSchedule,
      removalPolicy,
      logRetention,
      description: 'Raw zone: newline-delimited JSON from Firehose, partitioned by event_date',
    });
    this.curated = this.addZone('Curated', {
      bucket: props.curatedBucket,
      prefix: curatedPrefix,
      datasets: curatedDatasets,
      tablePrefix: 'curated_',
      exclusions: CURATED_EXCLUSIONS,
      schedule: props.curatedCrawlerSchedule,
      removalPolicy,
      logRetention,
      description: 'Curated zone: Parquet batch views from Spark, partitioned by event_date',
    });
    admitLogGroups(this, this.logKey, [this.raw, this.curated].map((z) => z.logGroupName));
    this.acknowledgeFindings();

    if (props.alarmTopic) {
      this.crawlerFailureRule = new events.Rule(this, 'CrawlerFailed', {
        description: 'A lake crawler failed',
        eventPattern: {
          source: ['aws.glue'],
          detailType: ['Glue Crawler State Change'],
          detail: { state: ['Failed'], crawlerName: [this.raw.crawler.ref, this.curated.crawler.ref] },
        },
        targets: [new targets.SnsTopic(props.alarmTopic)],
      });
    }
  }

  /** Read the database's table definitions and partitions, as Athena needs to query them. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'glue:GetDatabase',
        'glue:GetTable',
        'glue:GetTables',
        'glue:GetPartition',
        'glue:GetPartitions',
        'glue:BatchGetPartition',
      ],
      resourceArns: this.catalogArns('*'),
    });
    if (this.catalog.encryptionKey) this.key.grantDecrypt(grantee);
    return grant;
  }

  /** The catalog, the database and the named tables (`*` for all) in it. */
  private catalogArns(...tables: string[]): string[] {
    const stack = Stack.of(this);
    const db = this.database.databaseName;
    return [
      stack.formatArn({ service: 'glue', resource: 'catalog' }),
      stack.formatArn({ service: 'glue', resource: 'database', resourceName: db }),
      ...tables.map((t) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${db}/${t}` })),
    ];
  }

  /** The findings this construct causes by design, each with why it stands. */
  private acknowledgeFindings(): void {
    for (const zone of [this.raw, this.curated]) {
      const policy = zone.role.node.findChild('DefaultPolicy') as iam.Policy;
      acknowledgeResources(policy, (resource) => {
        if (zone.keyPrefixes.some((p) => resource.endsWith(`/${p}*`))) {
          return 'A crawler reads every object of its dataset, and new objects arrive under new event_date= folders; the grant ' +
            'is limited to that one dataset prefix.';
        }
        if (resource.endsWith(`log-group:${zone.logGroupName}:*`)) {
          return 'Glue names one log stream per crawl inside the crawler\'s own log group; the wildcard covers only the streams of that one group.';
        }
        return undefined;
      });
      for (const pack of PACKS) {
        Validations.of(zone.role).acknowledge({
          id: `${pack}-IAMNoInlinePolicy`,
          reason: 'The policy belongs to this one crawler role and names only its dataset prefixes, tables and log group; as the ' +
            'role\'s own policy it is deleted with it and cannot be attached elsewhere ' +
            '(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).',
        });
      }
    }
  }

  /** One zone's crawler, with its own role and its own encrypted log group. */
  private addZone(id: string, zone: ZoneSettings): CatalogZone {
    const roleName = `${Names.uniqueResourceName(this, { maxLength: 50, separator: '-' })}-${id}`;
    const keyPrefixes = zone.datasets.map((d) => `${zone.prefix}${d}/`);
    const role = this.crawlerRole(id, roleName, zone, keyPrefixes);
    // With a security configuration, Glue logs to /aws-glue/crawlers-role/<role>-<configuration>.
    const logGroupName = `/aws-glue/crawlers-role/${roleName}-${this.securityConfigurationName}`;
    const logGroup = this.crawlerLogGroup(id, logGroupName, zone, role);
    const paths = keyPrefixes.map((p) => `s3://${zone.bucket.bucketName}/${p}`);
    const crawler = this.crawler(id, zone, role, paths);
    // The role's policy and the log group must exist before a scheduled crawl can start.
    crawler.node.addDependency(role, logGroup);
    const tableNames = zone.datasets.map((d) => `${zone.tablePrefix}${d}`);
    return { crawler, role, logGroup, logGroupName, tablePrefix: zone.tablePrefix, paths, keyPrefixes, tableNames };
  }

  /** Reads only its datasets' prefixes, uses the keys, and writes only the tables it creates (no deletes). */
  private crawlerRole(id: string, roleName: string, zone: ZoneSettings, keyPrefixes: string[]): iam.Role {
    const role = new iam.Role(this, `${id}CrawlerRole`, {
      roleName,
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `${id} crawler of the lake catalog`,
    });
    // Listing is limited to the datasets' prefixes. IfExists: requests without a prefix
    // (HeadBucket, which Glue may use to check that a target exists when the crawler is
    // created) must still pass; object reads stay limited by ReadDatasets.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListDatasets',
        actions: ['s3:ListBucket'],
        resources: [zone.bucket.bucketArn],
        conditions: { StringLikeIfExists: { 's3:prefix': keyPrefixes.flatMap((p) => [p, `${p}*`]) } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'LocateBucket', actions: ['s3:GetBucketLocation'], resources: [zone.bucket.bucketArn] }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadDatasets',
        actions: ['s3:GetObject'],
        resources: keyPrefixes.map((p) => zone.bucket.arnForObjects(`${p}*`)),
      }),
    );
    // Decrypt the zone's objects; encrypt for the encrypted log group (and the catalog, if encrypted).
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'UseLakeKey',
        actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [...new Set([this.key.keyArn, this.logKey.keyArn])],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnTables',
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:CreateTable',
          'glue:UpdateTable',
          'glue:GetPartition',
          'glue:GetPartitions',
          'glue:BatchGetPartition',
          'glue:CreatePartition',
          'glue:BatchCreatePartition',
          'glue:UpdatePartition',
          'glue:BatchUpdatePartition',
          'glue:CreatePartitionIndex',
          'glue:GetPartitionIndexes',
        ],
        // Exactly the tables this crawler creates: one per dataset.
        resources: this.catalogArns(...zone.datasets.map((d) => `${zone.tablePrefix}${d}`)),
      }),
    );
    return role;
  }

  /** The log group Glue would create, made up front: encrypted, with retention, gone with the stack when asked. */
  private crawlerLogGroup(id: string, logGroupName: string, zone: ZoneSettings, role: iam.Role): logs.LogGroup {
    const logGroup = new logs.LogGroup(this, `${id}CrawlerLogs`, {
      logGroupName,
      encryptionKey: this.logKey,
      retention: zone.logRetention,
      removalPolicy: zone.removalPolicy,
    });
    const logGroupArn = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: logGroupName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnEncryptedLogs',
        actions: ['logs:CreateLogGroup', 'logs:AssociateKmsKey', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroupArn, `${logGroupArn}:*`],
      }),
    );
    return logGroup;
  }

  /** One table per dataset folder, partitioned by its event_date= folders; new folders only after the first crawl. */
  private crawler(id: string, zone: ZoneSettings, role: iam.Role, paths: string[]): glue.CfnCrawler {
    return new glue.CfnCrawler(this, `${id}Crawler`, {
      description: zone.description,
      role: role.roleArn,
      databaseName: this.database.databaseName,
      tablePrefix: zone.tablePrefix,
      targets: {
        s3Targets: paths.map((path) => ({ path, exclusions: zone.exclusions.length > 0 ? zone.exclusions : undefined })),
      },
      crawlerSecurityConfiguration: this.securityConfiguration.securityConfigurationName,
      schedule: zone.schedule ? { scheduleExpression: zone.schedule } : undefined,
      recrawlPolicy: { recrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      // Glue requires LOG for both when it crawls new folders only.
      schemaChangePolicy: { updateBehavior: 'LOG', deleteBehavior: 'LOG' },
      configuration: JSON.stringify({
        Version: 1.0,
        Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' },
        CrawlerOutput: { Partitions: { AddOrUpdateBehavior: 'InheritFromTable' } },
      }),
    });
  }
}

/** The compliance packs (cdk-nag ids prefix each rule with the pack). */
/** The props with their defaults, validated. */
function validate(props: LakeCatalogProps) {
  const rawPrefix = props.rawPrefix ?? 'raw/';
  const curatedPrefix = props.curatedPrefix ?? 'curated/';
  const rawDatasets = props.rawDatasets ?? ['payments'];
  const curatedDatasets = props.curatedDatasets ?? ['payments', 'merchant_daily'];
  const encryptDataCatalog = props.encryptDataCatalog ?? false;
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

  if (!DATABASE_NAME.test(props.databaseName)) {
    throw new Error(
      `LakeCatalog: databaseName must be 1–255 lower-case letters, digits or underscores (Athena's rule), got "${props.databaseName}"`,
    );
  }
  for (const [prop, value] of [['rawPrefix', rawPrefix], ['curatedPrefix', curatedPrefix]] as const) {
    if (!PREFIX.test(value)) {
      throw new Error(`LakeCatalog: ${prop} must be one or more folder names each ending with "/", got "${value}"`);
    }
  }
  for (const [prop, value] of [['rawDatasets', rawDatasets], ['curatedDatasets', curatedDatasets]] as const) {
    if (value.length === 0 || value.some((d) => !DATASET_NAME.test(d)) || new Set(value).size !== value.length) {
      throw new Error(
        `LakeCatalog: ${prop} must be distinct names of lower-case letters, digits or underscores, at least one, got [${value.join(', ')}]`,
      );
    }
  }
  for (const [prop, value] of [['rawCrawlerSchedule', props.rawCrawlerSchedule], ['curatedCrawlerSchedule', props.curatedCrawlerSchedule]] as const) {
    if (value !== undefined && !GLUE_CRON.test(value)) {
      throw new Error(`LakeCatalog: ${prop} must be a Glue cron expression with 6 fields, e.g. cron(30 0 * * ? *), got "${value}"`);
    }
  }
  return { rawPrefix, curatedPrefix, rawDatasets, curatedDatasets, encryptDataCatalog, removalPolicy, logRetention };
}

/** What differs between the raw and the curated zone's crawler. */
interface ZoneSettings {
  readonly bucket: s3.IBucket;
  readonly prefix: string;
  readonly datasets: string[];
  readonly tablePrefix: string;
  readonly exclusions: string[];
  readonly schedule?: string;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  readonly description: string;
}

const PACKS = ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security'];

/**
 * Lets CloudWatch Logs use `key` for exactly the named log groups: the encryption-context
 * condition admits no other group
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
 * One name is written as one ARN, a list as a list. An imported key's policy cannot be
 * changed here, so that case is a synth warning. The same function is in each construct that
 * encrypts its logs, so that each file can be copied alone; test/copyability.test.ts keeps
 * the copies identical.
 */
function admitLogGroups(scope: Construct, key: kms.IKey, logGroupNames: string | string[], sid = `Logs${Names.uniqueId(scope)}`): void {
  const stack = Stack.of(scope);
  const arns = [logGroupNames].flat().map((resourceName) =>
    stack.formatArn({ service: 'logs', resource: 'log-group', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
  const { statementAdded } = key.addToResourcePolicy(new iam.PolicyStatement({
    sid: sid.slice(0, 100),
    principals: [new iam.ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': typeof logGroupNames === 'string' ? arns[0] : arns } },
  }));
  if (!statementAdded) {
    Annotations.of(scope).addWarningV2('lake:log-key-policy',
      `The log key is imported: let logs.<region>.amazonaws.com use it for ${[logGroupNames].flat().join(', ')}, or those log groups fail to create.`);
  }
}

/**
 * Acknowledges AwsSolutions-IAM5 on each wildcard resource of the policy that `reasonFor`
 * explains. A bucket in another stack is a cross-stack reference whose final form exists
 * only during synthesis, so the finding id (cdk-nag's flattened resource) is derived from
 * the resolved policy then: validation runs after references are resolved and before cdk-nag.
 * The same function is in each construct that needs it, so that each file can be copied
 * alone; test/copyability.test.ts keeps the copies identical.
 */
function acknowledgeResources(policy: iam.Policy, reasonFor: (resource: string) => string | undefined): void {
  policy.node.addValidation({
    validate: () => {
      const document = Stack.of(policy).resolve((policy.node.defaultChild as iam.CfnPolicy).policyDocument);
      for (const statement of document.Statement ?? []) {
        for (const resource of [statement.Resource].flat()) {
          const flat = flattenReference(resource);
          const reason = flat.includes('*') ? reasonFor(flat) : undefined;
          if (reason) Validations.of(policy).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
        }
      }
      return [];
    },
  });
}

/** A CloudFormation value as cdk-nag writes it in a finding id: `<Logical.Attr>`, joins flattened. */
function flattenReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/}/g, '>');
  const v = value as Record<string, unknown>;
  if (v['Fn::Join']) {
    const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
    return items.map(flattenReference).join(delimiter);
  }
  if (v['Fn::Sub']) return flattenReference(v['Fn::Sub']);
  if (v['Fn::GetAtt']) {
    const [resource, attribute] = v['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
  }
  if (v['Fn::ImportValue']) return flattenReference(v['Fn::ImportValue']);
  if (v.Ref) return `<${flattenReference(v.Ref)}>`;
  return JSON.stringify(value);
}
