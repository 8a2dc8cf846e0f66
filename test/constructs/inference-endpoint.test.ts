import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  hasLocalInstanceStorage,
  IMAGE_REGISTRY_ACCOUNTS,
  InferenceEndpoint,
  InferenceEndpointProps,
  SUPPORTED_REGIONS,
} from '../../lib/constructs/inference-endpoint';
import { acknowledgementsIn } from '../../scripts/lib/synth';
import { testApp, testStack } from '../helpers';

function build(props: Partial<InferenceEndpointProps> = {}, stack: Stack = testStack()) {
  const bucket = new s3.Bucket(stack, 'Artifacts');
  const topic = new sns.Topic(stack, 'Topic');
  const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
    modelData: { bucket, objectKey: 'assets/model.tar.gz' },
    alarmTopic: topic,
    ...props,
  });
  return { stack, endpoint, bucket, topic, get template() { return Template.fromStack(stack); } };
}

const instance = (props: Partial<InferenceEndpointProps> = {}) => build({ compute: 'instance', ...props });

describe('InferenceEndpoint defaults (serverless)', () => {
  test('is serverless with 2048 MB and a max concurrency of 5', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectEquals({
        VariantName: 'AllTraffic',
        ModelName: Match.anyValue(),
        ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
      })],
    });
  });

  test('sets no KmsKeyId, data capture, VPC or network isolation', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: Match.absent(),
      DataCaptureConfig: Match.absent(),
    });
    template.hasResourceProperties('AWS::SageMaker::Model', { VpcConfig: Match.absent(), EnableNetworkIsolation: Match.absent() });
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  test('runs inference.py from the artifact in the scikit-learn image from the region mapping', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: {
          'Fn::Join': ['', [
            { 'Fn::FindInMap': [Match.stringLikeRegexp('ImageRegistry'), { Ref: 'AWS::Region' }, 'account'] },
            '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/sagemaker-scikit-learn:1.2-1-cpu-py3',
          ]],
        },
        ModelDataUrl: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('Artifacts') }, '/assets/model.tar.gz']] },
        Environment: Match.objectLike({ SAGEMAKER_PROGRAM: 'inference.py', SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code' }),
      },
    });
  });

  test('maps every supported region to its registry account', () => {
    const mappings = build().template.toJSON().Mappings;
    const [mapping] = Object.values(mappings) as Array<Record<string, { account: string }>>;
    expect(Object.fromEntries(Object.entries(mapping).map(([r, v]) => [r, v.account]))).toEqual(IMAGE_REGISTRY_ACCOUNTS);
    expect(mapping['us-east-1'].account).toBe('683313688378');
    expect(mapping['eu-west-1'].account).toBe('141502667606');
  });

  test('a template rule fails the deploy in an unsupported region, naming the regions', () => {
    const rules = build().template.toJSON().Rules;
    const ours = Object.entries(rules).filter(([id]) => id.includes('SupportedRegion')).map(([, rule]) => rule);
    expect(ours).toEqual([{
      Assertions: [{
        Assert: { 'Fn::Contains': [SUPPORTED_REGIONS, { Ref: 'AWS::Region' }] },
        AssertDescription: `InferenceEndpoint supports only the regions with a sagemaker-scikit-learn image: ${SUPPORTED_REGIONS.join(', ')}`,
      }],
    }]);
  });

  test('alarms on 5XX errors, 4XX errors and p90 latency, each notifying the topic', () => {
    const { template } = build();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    for (const [metric, threshold, extra] of [
      ['Invocation5XXErrors', 1, { Statistic: 'Sum' }],
      ['Invocation4XXErrors', 10, { Statistic: 'Sum' }],
      ['ModelLatency', 1_000_000, { ExtendedStatistic: 'p90' }],
    ] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/SageMaker',
        Threshold: threshold,
        ...extra,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
        OKActions: [{ Ref: Match.stringLikeRegexp('Topic') }],
        Dimensions: Match.arrayWith([{ Name: 'VariantName', Value: 'AllTraffic' }]),
      });
    }
  });

  test('the latency threshold follows latencyAlarmThreshold', () => {
    build({ latencyAlarmThreshold: Duration.millis(250) }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ModelLatency',
      Threshold: 250_000,
    });
  });
});

describe('InferenceEndpoint execution role', () => {
  const policy = () => build().template.findResources('AWS::IAM::Policy');
  const statements = () => Object.values(policy()).flatMap((p: any) => p.Properties.PolicyDocument.Statement);

  test('reads only the model artifact object', () => {
    const s3Statements = statements().filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('s3:')));
    expect(s3Statements).toEqual([{
      Sid: 'ReadModelArtifact',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Artifacts/), 'Arn'] }, '/assets/model.tar.gz']] },
    }]);
  });

  test('pulls only from the image repository in the mapped registry account', () => {
    const pull = statements().find((s: any) => s.Sid === 'PullFrameworkImage');
    expect(pull.Action).toEqual(['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']);
    expect(JSON.stringify(pull.Resource)).toContain('"Fn::FindInMap"');
    expect(JSON.stringify(pull.Resource)).toContain(':repository/sagemaker-scikit-learn');
    expect(statements().find((s: any) => s.Sid === 'EcrLogin')).toMatchObject({ Action: 'ecr:GetAuthorizationToken', Resource: '*' });
  });

  test("writes logs only to its endpoint's log group and metrics only to SageMaker namespaces", () => {
    const resources = statements().find((s: any) => s.Sid === 'EndpointLogs').Resource.map((r: unknown) => JSON.stringify(r));
    expect(resources).toEqual([
      expect.stringMatching(/:log-group:\/aws\/sagemaker\/Endpoints\/TestStack-Endpoint"\]\]\}$/),
      expect.stringMatching(/:log-group:\/aws\/sagemaker\/Endpoints\/TestStack-Endpoint:\*"\]\]\}$/),
    ]);
    expect(statements().find((s: any) => s.Sid === 'EndpointMetrics').Condition).toEqual({
      StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/Endpoints', 'AWS/SageMaker'] },
    });
  });

  test('has no EC2 network-interface permissions without a VPC', () => {
    expect(statements().find((s: any) => s.Sid === 'ContainerNetworkInterfaces')).toBeUndefined();
  });

  test('grantInvoke allows InvokeEndpoint on this endpoint only', () => {
    const { stack, endpoint } = build();
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    endpoint.grantInvoke(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Caller') }],
      PolicyDocument: { Statement: [{ Action: 'sagemaker:InvokeEndpoint', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^Endpoint[0-9A-F]{8}$') } }] },
    });
  });
});

describe('InferenceEndpoint instance mode', () => {
  test('uses one ml.m5.large with network isolation and a rotating KMS key on the endpoint config', () => {
    const { template } = instance();
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.m5.large', InitialInstanceCount: 1, ServerlessConfig: Match.absent() })],
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('EndpointKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: true });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('scales between instanceCount and maxInstanceCount on invocations per instance', () => {
    const { template } = instance({ instanceCount: 2, maxInstanceCount: 4, targetInvocationsPerInstance: 600 });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 4,
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      ResourceId: { 'Fn::Join': ['', ['endpoint/', { 'Fn::GetAtt': [Match.anyValue(), 'EndpointName'] }, '/variant/AllTraffic']] },
      RoleARN: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint')])] },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 600,
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
      }),
    });
  });

  test('does not autoscale when maxInstanceCount equals instanceCount', () => {
    instance({ instanceCount: 2 }).template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  test('captures requests and responses to S3 with the bucket key, and may write only there', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'CaptureKey');
    const captureBucket = new s3.Bucket(stack, 'Capture', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
    const { template } = build({ compute: 'instance', dataCapture: { bucket: captureBucket, prefix: 'capture/scores', samplingPercentage: 20 } }, stack);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 20,
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('Capture') }, '/capture/scores']] },
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('CaptureKey'), 'Arn'] },
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { JsonContentTypes: ['application/json', 'application/jsonlines'] },
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([
        {
          Sid: 'WriteDataCapture', Effect: 'Allow', Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('Capture'), 'Arn'] }, '/capture/scores/*']] },
        },
        { Sid: 'EncryptDataCapture', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('CaptureKey'), 'Arn'] } },
      ]) },
    });
  });

  test('runs in the VPC private subnets with a security group that has no inbound and HTTPS-only outbound', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const { template } = build({ compute: 'instance', vpc }, stack);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      VpcConfig: { Subnets: Match.arrayWith([{ Ref: Match.stringLikeRegexp('Vpcisolated') }]), SecurityGroupIds: [Match.anyValue()] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: Match.anyValue() }],
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'ContainerNetworkInterfaces', Action: Match.arrayWith(['ec2:CreateNetworkInterface']) })]) },
    });
  });

  test('sets no KmsKeyId for an instance type with local NVMe storage', () => {
    const { template } = instance({ instanceType: 'ml.m5d.large' });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.absent() });
    expect(['ml.m5d.large', 'ml.c5d.xlarge', 'ml.g4dn.xlarge', 'ml.g5.xlarge', 'ml.p4d.24xlarge'].every(hasLocalInstanceStorage)).toBe(true);
    expect(['ml.m5.large', 'ml.c5.xlarge', 'ml.r5.large', 'ml.t2.medium', 'ml.c6i.large'].some(hasLocalInstanceStorage)).toBe(false);
  });
});

describe('InferenceEndpoint name and log group', () => {
  test('names the endpoint after the stack and the construct path by default', () => {
    const { template, endpoint, stack } = build();
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'TestStack-Endpoint' });
    expect(stack.resolve(endpoint.endpointName)).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Endpoint/), 'EndpointName'] });
  });

  test('cuts a long default name to 63 characters with a hash of the path', () => {
    const stack = new Stack(testApp(), 'A'.repeat(70));
    const { template } = build({}, stack);
    const name: string = Object.values(template.findResources('AWS::SageMaker::Endpoint'))[0].Properties.EndpointName;
    expect(name).toMatch(/^A{54}-[0-9a-f]{8}$/);
  });

  test('pre-creates /aws/sagemaker/Endpoints/<name> with one month retention, retained by default', () => {
    const { template } = build({ endpointName: 'fraud' });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { LogGroupName: '/aws/sagemaker/Endpoints/fraud', RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });

  test('creates the endpoint after its log group, so SageMaker never creates the group itself', () => {
    const { template } = build();
    const [groupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    template.hasResource('AWS::SageMaker::Endpoint', { DependsOn: Match.arrayWith([groupId]) });
  });

  test('takes the log retention and removal policy from props', () => {
    const { template } = build({ logRetention: RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::Logs::LogGroup', { Properties: Match.objectLike({ RetentionInDays: 7 }), DeletionPolicy: 'Delete' });
  });

  test('with logEncryptionKey, encrypts the log group and admits CloudWatch Logs for exactly that group in the key policy', () => {
    const stack = testStack();
    const logsKey = new kms.Key(stack, 'LogsKey');
    const { template } = build({ endpointName: 'fraud', logEncryptionKey: logsKey }, stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/sagemaker/Endpoints/fraud',
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogsKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:/aws/sagemaker/Endpoints/fraud']],
          } } },
        })]),
      },
    });
  });

  test('acknowledges the log-stream wildcard of its own log group, where it causes it', () => {
    const { endpoint } = build({ endpointName: 'fraud' });
    expect(acknowledgementsIn(endpoint).map((a) => [a.path, a.id])).toContainEqual([
      'TestStack/Endpoint/Role/DefaultPolicy',
      'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws/sagemaker/Endpoints/fraud:*]',
    ]);
  });
});

describe('InferenceEndpoint validation', () => {
  test.each(['', '-fraud', 'fraud-', 'fraud_model', 'a'.repeat(64)])('rejects the endpoint name %p', (endpointName) => {
    expect(() => build({ endpointName })).toThrow(
      `InferenceEndpoint: endpointName must be 1–63 letters, digits and hyphens, starting and ending with a letter or digit, got ${endpointName}`,
    );
  });

  test.each([1000, 1536, 7168, 0])('serverless memory %d MB is rejected', (memorySizeInMb) => {
    expect(() => build({ memorySizeInMb })).toThrow(
      `InferenceEndpoint: memorySizeInMb must be one of 1024, 2048, 3072, 4096, 5120, 6144, got ${memorySizeInMb}`,
    );
  });

  test.each([0, 201, 2.5])('serverless max concurrency %d is rejected', (maxConcurrency) => {
    expect(() => build({ maxConcurrency })).toThrow(`InferenceEndpoint: maxConcurrency must be a whole number 1–200, got ${maxConcurrency}`);
  });

  test('serverless accepts the range limits', () => {
    expect(() => build({ memorySizeInMb: 6144, maxConcurrency: 200 })).not.toThrow();
    expect(() => build({ memorySizeInMb: 1024, maxConcurrency: 1 })).not.toThrow();
  });

  test('serverless refuses a VPC', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
    expect(() => build({ vpc }, stack)).toThrow(
      "InferenceEndpoint: vpc needs compute 'instance'; serverless endpoints support no VPC, data capture, network isolation, KMS volume key or instances",
    );
  });

  test('serverless refuses data capture', () => {
    const stack = testStack();
    expect(() => build({ dataCapture: { bucket: new s3.Bucket(stack, 'C') } }, stack)).toThrow(
      "InferenceEndpoint: dataCapture needs compute 'instance'; serverless endpoints support no VPC, data capture, network isolation, KMS volume key or instances",
    );
  });

  test('instance mode refuses serverless settings', () => {
    expect(() => instance({ memorySizeInMb: 2048 })).toThrow("InferenceEndpoint: memorySizeInMb needs compute 'serverless'");
  });

  test('a bad compute type, instance type or counts are rejected with the value', () => {
    expect(() => build({ compute: 'gpu' as never })).toThrow("InferenceEndpoint: compute must be 'serverless' or 'instance', got gpu");
    expect(() => instance({ instanceType: 'm5.large' })).toThrow('InferenceEndpoint: instanceType must look like ml.<family>.<size>, got m5.large');
    expect(() => instance({ instanceCount: 0 })).toThrow('InferenceEndpoint: instanceCount must be a whole number ≥ 1, got 0');
    expect(() => instance({ instanceCount: 2, maxInstanceCount: 1 })).toThrow(
      'InferenceEndpoint: maxInstanceCount must be a whole number ≥ instanceCount (2), got 1',
    );
    expect(() => instance({ targetInvocationsPerInstance: 0 })).toThrow('InferenceEndpoint: targetInvocationsPerInstance must be > 0, got 0');
  });

  test('an explicit key with a local-storage instance type is rejected', () => {
    const stack = testStack();
    expect(() => build({ compute: 'instance', instanceType: 'ml.c5d.large', encryptionKey: new kms.Key(stack, 'K') }, stack)).toThrow(
      'InferenceEndpoint: encryptionKey cannot be used with ml.c5d.large, whose local NVMe storage SageMaker encrypts in hardware (it rejects a KmsKeyId)',
    );
  });

  test('a sampling percentage outside 1–100 is rejected', () => {
    const stack = testStack();
    expect(() => build({ compute: 'instance', dataCapture: { bucket: new s3.Bucket(stack, 'C'), samplingPercentage: 0 } }, stack)).toThrow(
      'InferenceEndpoint: dataCapture.samplingPercentage must be a whole number 1–100, got 0',
    );
  });

  test('a concrete region outside the mapping fails at synth', () => {
    const stack = new Stack(testApp(), 'Cn', { env: { region: 'cn-north-1', account: '111111111111' } });
    expect(() => build({}, stack)).toThrow(`InferenceEndpoint: region must be one of ${SUPPORTED_REGIONS.join(', ')}, got cn-north-1`);
  });

  test('a concrete supported region synthesizes', () => {
    const stack = new Stack(testApp(), 'Ok', { env: { region: 'eu-west-1', account: '111111111111' } });
    expect(() => build({}, stack)).not.toThrow();
  });
});
