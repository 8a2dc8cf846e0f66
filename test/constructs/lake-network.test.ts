import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EMR_INTERFACE_ENDPOINTS, LakeNetwork, LakeNetworkProps, SESSION_MANAGER_ENDPOINTS } from '../../lib/constructs/lake-network';
import { testStack } from '../helpers';

function build(props: LakeNetworkProps = {}): { network: LakeNetwork; template: Template } {
  const stack = testStack();
  const network = new LakeNetwork(stack, 'Network', props);
  return { network, template: Template.fromStack(stack) };
}

function gatewayPolicyStatements(template: Template): any[] {
  const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Gateway' } }));
  expect(endpoints).toHaveLength(1);
  return (endpoints[0] as any).Properties.PolicyDocument.Statement;
}

function serviceNames(template: Template): string[] {
  return Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } })).map(
    (e: any) => e.Properties.ServiceName['Fn::Join'][1][2],
  );
}

describe('LakeNetwork', () => {
  test('has isolated subnets only and no route to the internet by default', () => {
    const { template } = build();
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Route', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    expect(JSON.stringify(template.toJSON())).not.toContain('0.0.0.0/0');
  });

  test('spreads over maxAzs availability zones', () => {
    build({ maxAzs: 1 }).template.resourceCountIs('AWS::EC2::Subnet', 1);
  });

  test('maxAzs 3 gives three zones in a stack without an explicit env, the first three Fn::GetAZs lists', () => {
    const zones = Object.values(build({ maxAzs: 3 }).template.findResources('AWS::EC2::Subnet')).map((r) => r.Properties.AvailabilityZone);
    expect(zones).toEqual([0, 1, 2].map((i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })));
  });

  test('uses the availability zones given', () => {
    const { network, template } = build({ availabilityZones: ['eu-west-1b', 'eu-west-1c'], natGateways: 1 });
    expect(network.vpc.availabilityZones).toEqual(['eu-west-1b', 'eu-west-1c']);
    for (const zone of ['eu-west-1b', 'eu-west-1c']) template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: zone });
  });

  test('in a stack with an explicit env whose availability zones are known, needs no lookup', () => {
    const key = 'availability-zones:account=111111111111:region=eu-west-1';
    const app = new App({ context: { [key]: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] }, builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Pinned', { env: { account: '111111111111', region: 'eu-west-1' } });
    new LakeNetwork(stack, 'Network', { availabilityZones: ['eu-west-1b', 'eu-west-1c'] });
    expect(app.synth().manifest.missing).toBeUndefined();
  });

  test('adds public subnets and NAT egress when natGateways is above 0', () => {
    const { network, template } = build({ natGateways: 1 });
    template.resourceCountIs('AWS::EC2::InternetGateway', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::EC2::Route', { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: Match.anyValue() });
    expect(network.vpc.privateSubnets).toHaveLength(2);
    expect(network.vpc.isolatedSubnets).toHaveLength(0);
  });

  test('creates the interface endpoints EMR needs (KMS, Glue) by default, with private DNS', () => {
    const { network, template } = build();
    expect(Object.keys(network.interfaceEndpoints)).toEqual([...EMR_INTERFACE_ENDPOINTS]);
    expect(serviceNames(template).sort()).toEqual(['.glue', '.kms']);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', PrivateDnsEnabled: true });
  });

  test('adds the Session Manager endpoints when asked to', () => {
    const { network, template } = build({ sessionManagerEndpoints: true });
    expect(Object.keys(network.interfaceEndpoints)).toEqual(['kms', 'glue', ...SESSION_MANAGER_ENDPOINTS]);
    expect(serviceNames(template).sort()).toEqual(['.ec2messages', '.glue', '.kms', '.ssm', '.ssmmessages']);
  });

  test('refuses Session Manager endpoints that are already in interfaceEndpoints', () => {
    expect(() => build({ interfaceEndpoints: ['kms', 'ssm'], sessionManagerEndpoints: true })).toThrow(
      'LakeNetwork: interfaceEndpoints must not repeat a name, got kms, ssm, ssm, ssmmessages, ec2messages',
    );
  });

  test('creates exactly the interface endpoints asked for', () => {
    const { template } = build({ interfaceEndpoints: ['kms', 'sagemaker.runtime'] });
    expect(serviceNames(template).sort()).toEqual(['.kms', '.sagemaker.runtime']);
  });

  test('admits only HTTPS from the VPC CIDR to the interface endpoints', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'Interface endpoints: HTTPS from the VPC only',
      SecurityGroupIngress: [
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '10.40.0.0/16', Description: 'HTTPS from the VPC' },
      ],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32' })],
    });
  });

  test('the S3 gateway endpoint admits the EMR and Amazon Linux 2023 repositories read-only', () => {
    const statements = gatewayPolicyStatements(build().template);
    const repos = statements.find((s) => s.Sid === 'EmrAndAmazonLinuxRepositories');
    expect(repos.Action).toBe('s3:GetObject');
    const text = JSON.stringify(repos.Resource);
    expect(text).toContain(':s3:::al2023-repos-');
    expect(text).toContain('-de612dc2/*');
    expect(text).toContain(':s3:::repo.');
    expect(text).toContain('.emr.amazonaws.com/*');
  });

  test('the S3 gateway endpoint admits the EMR system-logs bucket, named per region', () => {
    const { template } = build();
    const logsStatement = gatewayPolicyStatements(template).find((s) => s.Sid === 'EmrSystemLogs');
    expect(logsStatement.Action).toBe('s3:PutObject');
    expect(JSON.stringify(logsStatement.Resource)).toContain('"Fn::If":[');
    expect(JSON.stringify(logsStatement.Resource)).toContain('"aws157-logs-prod",{"Fn::Join":["",["aws157-logs-prod-",{"Ref":"AWS::Region"}]]}');
    expect(Object.values(template.toJSON().Conditions)).toEqual([{ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] }]);
  });

  test('the S3 gateway endpoint admits the lake buckets and nothing else by name', () => {
    const stack = testStack();
    const raw = new s3.Bucket(stack, 'Raw');
    new LakeNetwork(stack, 'Network', { lakeBuckets: [raw], readOnlyBucketNames: ['cdk-assets'] });
    const statements = gatewayPolicyStatements(Template.fromStack(stack));
    expect(statements.map((s) => s.Sid)).toEqual(['EmrAndAmazonLinuxRepositories', 'EmrSystemLogs', 'LakeBuckets', 'ReadOnlyBuckets']);
    const lake = statements.find((s) => s.Sid === 'LakeBuckets');
    const rawArn = { 'Fn::GetAtt': [expect.stringMatching(/^Raw/), 'Arn'] };
    expect(lake.Resource).toEqual([rawArn, { 'Fn::Join': ['', [rawArn, '/*']] }]);
    expect(lake.Action).not.toContain('s3:*');
    const readOnly = statements.find((s) => s.Sid === 'ReadOnlyBuckets');
    expect(readOnly.Action).toBe('s3:GetObject');
    expect(JSON.stringify(readOnly.Resource)).toContain(':s3:::cdk-assets/*');
    for (const s of statements) expect(s.Effect).toBe('Allow');
  });

  test('logs all traffic to a log group with one month retention by default, retained', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain' });
  });

  test('takes the flow log retention and removal policy', () => {
    const { template } = build({ flowLogRetention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
  });

  test("CDK's default-security-group cleanup function logs to a log group with the same retention", () => {
    const { template } = build({ flowLogRetention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
    template.resourceCountIs('AWS::Logs::LogGroup', 2);
    template.allResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 }, DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('default security group'),
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^CustomVpcRestrictDefaultSGCustomResourceProviderLogGroup') } },
    });
  });

  test('takes the VPC CIDR', () => {
    const { template } = build({ cidr: '10.9.0.0/16' });
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.9.0.0/16' });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.9.0.0/16' })] });
  });

  test('computeSubnets selects the isolated subnets, or the private ones with NAT', () => {
    const isolated = build().network;
    expect(isolated.vpc.selectSubnets(isolated.computeSubnets).subnets).toEqual(isolated.vpc.isolatedSubnets);
    const egress = build({ natGateways: 1 }).network;
    expect(egress.vpc.selectSubnets(egress.computeSubnets).subnets).toEqual(egress.vpc.privateSubnets);
  });

  test.each([
    [{ maxAzs: 0 }, 'LakeNetwork: maxAzs must be a whole number 1–3, got 0'],
    [{ maxAzs: 4 }, 'LakeNetwork: maxAzs must be a whole number 1–3, got 4'],
    [{ maxAzs: 1, natGateways: 2 }, 'LakeNetwork: natGateways must be a whole number 0–1 (one per availability zone), got 2'],
    [{ natGateways: -1 }, 'LakeNetwork: natGateways must be a whole number 0–2 (one per availability zone), got -1'],
    [{ availabilityZones: ['eu-west-1a', 'eu-west-1b'], natGateways: 3 }, 'LakeNetwork: natGateways must be a whole number 0–2 (one per availability zone), got 3'],
    [{ availabilityZones: ['eu-west-1a'], maxAzs: 1 }, 'LakeNetwork: give availabilityZones or maxAzs, not both; got 1 zones and maxAzs 1'],
    [{ availabilityZones: [] }, 'LakeNetwork: availabilityZones must be 1–3 different zones, got none'],
    [{ availabilityZones: ['eu-west-1a', 'eu-west-1a'] }, 'LakeNetwork: availabilityZones must be 1–3 different zones, got eu-west-1a, eu-west-1a'],
    [{ availabilityZones: ['a', 'b', 'c', 'd'] }, 'LakeNetwork: availabilityZones must be 1–3 different zones, got a, b, c, d'],
    [
      { interfaceEndpoints: ['kms', 'ecr', 'toString'] },
      'LakeNetwork: interfaceEndpoints must be among kms, glue, ssm, ssmmessages, ec2messages, logs, monitoring, sts, elasticmapreduce, sagemaker.runtime, sagemaker.api, got ecr, toString',
    ],
    [{ interfaceEndpoints: ['kms', 'kms'] }, 'LakeNetwork: interfaceEndpoints must not repeat a name, got kms, kms'],
  ])('rejects %j', (props, message) => {
    expect(() => build(props as LakeNetworkProps)).toThrow(message);
  });
});
