import { Templates } from '../../lib/cost/estimate';
import { destroyLeftovers, keysPendingDeletion, RETAINED_ON_DESTROY } from '../../lib/review/leftovers';
import { logInventory } from '../../lib/review/log-groups';

const group = (props: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7, ...props }, ...extra });

describe('the log-group inventory', () => {
  const owners = (templates: Templates) => logInventory(templates).destinations.map((d) => [d.writer, d.logGroup, d.owner ? `${d.owner.stack}/${d.owner.logicalId}` : undefined]);

  test('a function logs to its LoggingConfig group, else to /aws/lambda/<name>, matched by name or by its Ref', () => {
    expect(owners({
      s: {
        Resources: {
          Configured: { Type: 'AWS::Lambda::Function', Properties: { LoggingConfig: { LogGroup: { Ref: 'Own' } } } },
          Own: group(),
          Named: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'loader' } },
          NamedLogs: group({ LogGroupName: '/aws/lambda/loader' }),
          Generated: { Type: 'AWS::Lambda::Function', Properties: {} },
          GeneratedLogs: group({ LogGroupName: { 'Fn::Join': ['', ['/aws/lambda/', { Ref: 'Generated' }]] } }),
          Implicit: { Type: 'AWS::Lambda::Function', Properties: {} },
        },
      },
    })).toEqual([
      ['Configured', '${Own}', 's/Own'],
      ['Named', '/aws/lambda/loader', 's/NamedLogs'],
      ['Generated', '/aws/lambda/${Generated}', 's/GeneratedLogs'],
      ['Implicit', '/aws/lambda/${Implicit}', undefined],
    ]);
  });

  test('a SageMaker endpoint logs to /aws/sagemaker/Endpoints/<name>', () => {
    expect(owners({
      s: { Resources: { Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: 'fraud' } }, Logs: group({ LogGroupName: '/aws/sagemaker/Endpoints/fraud' }) } },
    })).toEqual([['Endpoint', '/aws/sagemaker/Endpoints/fraud', 's/Logs']]);
  });

  test('a crawler with a security configuration logs to /aws-glue/crawlers-role/<role>-<configuration>; without one to /aws-glue/crawlers', () => {
    const name = { 'Fn::Join': ['', ['/aws-glue/crawlers-role/', { Ref: 'Role' }, '-', { Ref: 'Config' }]] };
    expect(owners({
      s: {
        Resources: {
          Secured: { Type: 'AWS::Glue::Crawler', Properties: { Role: { 'Fn::GetAtt': ['Role', 'Arn'] }, CrawlerSecurityConfiguration: { Ref: 'Config' } } },
          Logs: group({ LogGroupName: name }),
          Plain: { Type: 'AWS::Glue::Crawler', Properties: { Role: 'crawler' } },
        },
      },
    })).toEqual([
      ['Secured', '/aws-glue/crawlers-role/${Role}-${Config}', 's/Logs'],
      ['Plain', '/aws-glue/crawlers', undefined],
    ]);
  });

  test('delivery streams, state machines and flow logs name their groups; one group used twice is listed once', () => {
    const logging = { Enabled: true, LogGroupName: { Ref: 'Logs' }, LogStreamName: 'x' };
    expect(owners({
      s: {
        Resources: {
          Delivery: { Type: 'AWS::KinesisFirehose::DeliveryStream', Properties: { ExtendedS3DestinationConfiguration: { CloudWatchLoggingOptions: logging, S3BackupConfiguration: { CloudWatchLoggingOptions: logging } } } },
          Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { LoggingConfiguration: { Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': ['Logs', 'Arn'] } } }] } } },
          Flow: { Type: 'AWS::EC2::FlowLog', Properties: { LogGroupName: { Ref: 'Logs' } } },
          ToS3: { Type: 'AWS::EC2::FlowLog', Properties: { LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::b' } },
          Logs: group(),
        },
      },
    })).toEqual([['Delivery', '${Logs}', 's/Logs'], ['Machine', '${Logs.Arn}', 's/Logs'], ['Flow', '${Logs}', 's/Logs']]);
  });

  test('a group in another stack is found through a cross-stack reference', () => {
    expect(owners({
      p: { Resources: { Logs: group() }, Outputs: { LogsName: { Value: { Ref: 'Logs' }, Export: { Name: 'p:LogsName' } } } },
      c: { Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { LoggingConfig: { LogGroup: { 'Fn::ImportValue': 'p:LogsName' } } } } } },
    })).toEqual([['Fn', '${p/Logs}', 'p/Logs']]);
  });

  test('types it does not know are listed, so that a new kind of resource needs a decision', () => {
    expect(logInventory({ s: { Resources: { Bucket: { Type: 'AWS::S3::Bucket' }, Build: { Type: 'AWS::CodeBuild::Project' } } } }).unclassified).toEqual([
      { stack: 's', logicalId: 'Build', type: 'AWS::CodeBuild::Project' },
    ]);
  });
});

describe('what a destroy leaves behind', () => {
  const why = (templates: Templates) => destroyLeftovers(templates).map((l) => [l.logicalId, l.why, l.deliberate]);

  test('nothing, for deleted resources, buckets that are emptied first and owned log groups', () => {
    expect(destroyLeftovers({
      s: {
        Resources: {
          Bucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Delete' },
          Empty: { Type: 'Custom::S3AutoDeleteObjects', Properties: { BucketName: { Ref: 'Bucket' } } },
          Table: { Type: 'AWS::DynamoDB::Table', Properties: { DeletionProtectionEnabled: false } },
          Fn: { Type: 'AWS::Lambda::Function', Properties: { LoggingConfig: { LogGroup: { Ref: 'Logs' } } } },
          Logs: group({}, { DeletionPolicy: 'Delete' }),
        },
      },
    })).toEqual([]);
  });

  test('retained and snapshotted resources', () => {
    expect(why({ s: { Resources: { Key: { Type: 'AWS::KMS::Key', DeletionPolicy: 'Retain' }, Db: { Type: 'AWS::RDS::DBCluster', DeletionPolicy: 'Snapshot' } } } })).toEqual([
      ['Key', 'DeletionPolicy Retain', undefined],
      ['Db', 'DeletionPolicy Snapshot', undefined],
    ]);
  });

  test('a bucket nothing empties, a table with deletion protection, a log group a service creates', () => {
    expect(why({
      s: {
        Resources: {
          Bucket: { Type: 'AWS::S3::Bucket' },
          Table: { Type: 'AWS::DynamoDB::Table', Properties: { DeletionProtectionEnabled: true } },
          Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'f' } },
        },
      },
    })).toEqual([
      ['Bucket', 'no auto-delete of its objects: CloudFormation cannot delete the bucket while it holds any', undefined],
      ['Table', 'deletion protection is on: CloudFormation cannot delete the table', undefined],
      ['Fn', 'writes to /aws/lambda/f, which no template creates: the service creates it, with no retention', undefined],
    ]);
  });

  test('a resource kept on purpose carries its reason', () => {
    const kept = { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', Metadata: { [RETAINED_ON_DESTROY]: 'Audit evidence must outlive the sandbox' } };
    expect(why({ s: { Resources: { Evidence: kept } } })).toEqual([['Evidence', 'DeletionPolicy Retain', 'Audit evidence must outlive the sandbox']]);
  });

  test('deleted keys wait for their pending window, 30 days unless set', () => {
    expect(keysPendingDeletion({ s: { Resources: { A: { Type: 'AWS::KMS::Key', Properties: { PendingWindowInDays: 7 } }, B: { Type: 'AWS::KMS::Key' } } } }))
      .toEqual([{ stack: 's', logicalId: 'A', days: 7 }, { stack: 's', logicalId: 'B', days: 30 }]);
  });
});
