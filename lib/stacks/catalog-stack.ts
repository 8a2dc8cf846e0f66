import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CatalogSettings } from '../config';
import { DataLakeStorage } from '../constructs/data-lake-storage';
import { LakeCatalog } from '../constructs/lake-catalog';
import { QueryWorkgroup } from '../constructs/query-workgroup';
import { NAMED_QUERIES } from '../queries';

export interface CatalogStackProps extends StackProps {
  readonly prefix: string;
  readonly databaseName: string;
  readonly lake: DataLakeStorage;
  readonly alarmTopic: sns.ITopic;
  readonly catalog: CatalogSettings;
  /** Applies to the Glue database, security configuration, crawler log groups and the workgroup. */
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: logs.RetentionDays;
  /** Encrypts the crawler log groups. */
  readonly logsKey: kms.IKey;
}

/** The Glue database and crawlers over both zones, and the Athena workgroup with the saved queries. */
export class CatalogStack extends Stack {
  public readonly catalog: LakeCatalog;
  public readonly workgroup: QueryWorkgroup;

  constructor(scope: Construct, id: string, props: CatalogStackProps) {
    super(scope, id, props);
    const c = props.catalog;

    this.catalog = new LakeCatalog(this, 'Catalog', {
      databaseName: props.databaseName,
      key: props.lake.key,
      rawBucket: props.lake.rawBucket,
      curatedBucket: props.lake.curatedBucket,
      rawCrawlerSchedule: c.rawCrawlerSchedule,
      curatedCrawlerSchedule: c.curatedCrawlerSchedule,
      encryptDataCatalog: c.encryptDataCatalog,
      removalPolicy: props.removalPolicy,
      logRetention: props.logRetention,
      logEncryptionKey: props.logsKey,
      // No alarmTopic: the monitoring stack sends every crawl outcome to the topic.
    });

    this.workgroup = new QueryWorkgroup(this, 'Queries', {
      workGroupName: `${props.prefix}-lake`,
      resultsBucket: props.lake.queryResultsBucket,
      key: props.lake.key,
      bytesScannedCutoffPerQuery: c.bytesScannedCutoffPerQuery,
      dataScannedAlarmBytes: c.dataScannedAlarmBytes,
      dataScannedAlarmPeriod: c.dataScannedAlarmPeriod,
      alarmTopic: props.alarmTopic,
      recursiveDeleteOption: c.recursiveDeleteOption,
      removalPolicy: props.removalPolicy,
      databaseName: this.catalog.database.databaseName,
      namedQueries: NAMED_QUERIES,
    });

    new CfnOutput(this, 'DatabaseName', { value: this.catalog.database.databaseName });
    new CfnOutput(this, 'WorkgroupName', { value: this.workgroup.workGroupName });
    new CfnOutput(this, 'RawCrawlerName', { value: this.catalog.raw.crawler.ref });
    new CfnOutput(this, 'CuratedCrawlerName', { value: this.catalog.curated.crawler.ref });
  }
}
