import { Annotations, ArnFormat, Aws, CfnCondition, CfnResource, Fn, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * Interface endpoints this construct knows how to create, by the short name used in
 * `interfaceEndpoints`.
 */
export const INTERFACE_ENDPOINT_SERVICES: Readonly<Record<string, ec2.InterfaceVpcEndpointAwsService>> = {
  kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  glue: ec2.InterfaceVpcEndpointAwsService.GLUE,
  ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
  ssmmessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
  ec2messages: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
  logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  monitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  sts: ec2.InterfaceVpcEndpointAwsService.STS,
  elasticmapreduce: ec2.InterfaceVpcEndpointAwsService.EMR,
  'sagemaker.runtime': ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
  'sagemaker.api': ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
};

/**
 * What an EMR 7.x cluster with this lake's settings needs in a subnet with no internet route.
 *
 * EMR itself needs only a route to S3 for its own buckets ("Amazon VPC options", Private
 * subnets: https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-clusters-in-a-vpc.html);
 * the EMR control plane reaches the cluster through the service-access security group.
 * Every other AWS API the nodes call needs an endpoint:
 * - kms: local-disk and EBS encryption keys, SSE-KMS on the lake buckets and on the logs
 *   (https://docs.aws.amazon.com/kms/latest/developerguide/kms-vpc-endpoint.html);
 * - glue: the Glue Data Catalog as Hive and Spark metastore
 *   (https://docs.aws.amazon.com/glue/latest/dg/vpc-interface-endpoints.html).
 * Not included: sts (instance-profile credentials come from the instance metadata service),
 * logs (no CloudWatch agent is installed; EMR logs go to S3), elasticmapreduce (only
 * needed to call the EMR API from inside the VPC; Step Functions calls it from outside).
 */
export const EMR_INTERFACE_ENDPOINTS: readonly string[] = ['kms', 'glue'];

/**
 * Session Manager, the only shell access to the nodes (no key pair), needs these three
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html).
 * Opt-in: each costs per AZ-hour, and a batch run needs no shell.
 */
export const SESSION_MANAGER_ENDPOINTS: readonly string[] = ['ssm', 'ssmmessages', 'ec2messages'];

export interface LakeNetworkProps {
  /**
   * How many availability zones to spread subnets (and each interface endpoint) over, 1–3:
   * the first ones CloudFormation's `Fn::GetAZs` lists for the Region, an order that may
   * change when the Region gains a zone. Each endpoint costs per AZ-hour. Not with
   * `availabilityZones`.
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * The availability zones themselves, 1–3, instead of `maxAzs`: names such as `eu-west-1a`
   * (in a stack with an explicit env they must be among the stack's availability zones), or
   * tokens such as `Fn.select(2, Fn.getAzs())`.
   * @default - the first `maxAzs` of `Fn::GetAZs`
   */
  readonly availabilityZones?: string[];
  /**
   * NAT gateways, 0 to the number of availability zones. With 0 the VPC has isolated subnets only: no internet
   * gateway, no NAT, no route to 0.0.0.0/0. With more, it adds public subnets and
   * private subnets with egress through the NAT gateways.
   * @default 0
   */
  readonly natGateways?: number;
  /**
   * The VPC's IPv4 CIDR block.
   * @default '10.40.0.0/16'
   */
  readonly cidr?: string;
  /**
   * Buckets the S3 gateway endpoint lets the VPC read, write and list. Nothing else
   * except the AWS-owned buckets EMR needs and `readOnlyBucketNames`.
   * @default - none
   */
  readonly lakeBuckets?: s3.IBucket[];
  /**
   * Names of buckets the gateway endpoint lets the VPC read objects from (for example
   * the CDK assets bucket that holds job scripts).
   * @default - none
   */
  readonly readOnlyBucketNames?: string[];
  /**
   * Interface endpoints to create, by short name (keys of INTERFACE_ENDPOINT_SERVICES).
   * @default EMR_INTERFACE_ENDPOINTS (kms, glue)
   */
  readonly interfaceEndpoints?: string[];
  /**
   * Add the Session Manager endpoints (SESSION_MANAGER_ENDPOINTS) to `interfaceEndpoints`.
   * @default false
   */
  readonly sessionManagerEndpoints?: boolean;
  /**
   * Retention of the VPC flow log group, and of the log group of the function CDK adds
   * to strip the VPC's default security group of its rules.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * What happens to those log groups when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for those log groups. Its policy gets a statement that lets
   * CloudWatch Logs use it for exactly them (a key defined in this app only).
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
}

/**
 * A VPC for the lake's compute that keeps traffic off the internet.
 *
 * - Isolated subnets by default; NAT only when asked for.
 * - An S3 gateway endpoint (free) whose policy admits only the lake buckets and the
 *   AWS-owned buckets EMR needs in a private subnet.
 * - Interface endpoints for the AWS APIs the nodes call, reachable on 443 from the VPC only.
 * - Flow logs (all traffic) to CloudWatch Logs with bounded retention.
 */
export class LakeNetwork extends Construct {
  public readonly vpc: ec2.Vpc;
  /** The subnets compute should use: isolated, or private with egress when NAT is on. */
  public readonly computeSubnets: ec2.SubnetSelection;
  public readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  /** Interface endpoints by short name. */
  public readonly interfaceEndpoints: Readonly<Record<string, ec2.InterfaceVpcEndpoint>>;
  /** Admits HTTPS from the VPC CIDR to the interface endpoints. */
  public readonly endpointSecurityGroup: ec2.SecurityGroup;
  public readonly flowLogGroup: logs.LogGroup;
  public readonly flowLog: ec2.FlowLog;

  constructor(scope: Construct, id: string, props: LakeNetworkProps = {}) {
    super(scope, id);
    const { availabilityZones, natGateways, endpointNames } = validate(props);
    const cidr = props.cidr ?? '10.40.0.0/16';

    this.vpc = this.createVpc(cidr, availabilityZones, natGateways);
    this.computeSubnets = { subnetType: natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED };
    [this.flowLogGroup, this.flowLog] = this.createFlowLog(
      props.flowLogRetention ?? logs.RetentionDays.ONE_MONTH, props.removalPolicy ?? RemovalPolicy.RETAIN, props.logEncryptionKey);
    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3', {
      service: ec2.GatewayVpcEndpointAwsService.S3,
      subnets: [this.computeSubnets],
    });
    this.addS3EndpointPolicy(props.lakeBuckets ?? [], props.readOnlyBucketNames ?? []);
    this.endpointSecurityGroup = this.createEndpointSecurityGroup(cidr);
    this.interfaceEndpoints = Object.fromEntries(endpointNames.map((name) => [name, this.vpc.addInterfaceEndpoint(endpointId(name), {
      service: INTERFACE_ENDPOINT_SERVICES[name],
      subnets: this.computeSubnets,
      securityGroups: [this.endpointSecurityGroup],
      privateDnsEnabled: true,
      open: false,
    })]));
  }

  /**
   * Isolated subnets, or public and private ones with NAT. The zones are passed to the Vpc
   * rather than a count: in a stack without an explicit env the Vpc would otherwise use at
   * most two, whatever maxAzs says.
   */
  private createVpc(cidr: string, availabilityZones: string[], natGateways: number): ec2.Vpc {
    return new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      availabilityZones,
      natGateways,
      subnetConfiguration:
        natGateways > 0
          ? [
              { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
              { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
            ]
          : [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
    });
  }

  /** Flow logs of all traffic to a log group named from the stack and construct path, so a key policy can name exactly it. */
  private createFlowLog(retention: logs.RetentionDays, removalPolicy: RemovalPolicy, encryptionKey?: kms.IKey): [logs.LogGroup, ec2.FlowLog] {
    const defaultSgLogs = this.giveDefaultSgCleanupALogGroup(retention, removalPolicy, encryptionKey);
    const flowLogGroupName = `/aws/vpc/flow-logs/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    const group = new logs.LogGroup(this, 'FlowLogs', { logGroupName: flowLogGroupName, retention, encryptionKey, removalPolicy });
    if (encryptionKey) {
      admitLogGroups(this, encryptionKey, [flowLogGroupName, ...(defaultSgLogs ? [defaultSgLogs] : [])]);
    }
    const flowLog = this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(group),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    for (const pack of ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security']) {
      Validations.of(flowLog.node.findChild('IAMRole')).acknowledge({
        id: `${pack}-IAMNoInlinePolicy`,
        reason: 'The flow-log delivery role\'s own policy (aws-cdk-lib writes it), naming only this flow log group; it is ' +
          'deleted with the role and cannot be attached elsewhere ' +
          '(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).',
      });
    }
    return [group, flowLog];
  }

  private createEndpointSecurityGroup(cidr: string): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface endpoints: HTTPS from the VPC only',
      allowAllOutbound: false,
    });
    // The literal CIDR, not vpc.vpcCidrBlock: the rule then reads plainly in the template.
    group.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');
    return group;
  }

  /**
   * The Vpc adds a stack-wide custom-resource function that removes the default security
   * group's rules. Without this it would log to an implicit log group that has no
   * retention and outlives the stack. Returns the log group's name, if this call created it.
   */
  private giveDefaultSgCleanupALogGroup(retention: logs.RetentionDays, removalPolicy: RemovalPolicy, encryptionKey?: kms.IKey): string | undefined {
    const provider = Stack.of(this).node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
    const handler = provider?.node.tryFindChild('Handler');
    if (!provider || !CfnResource.isCfnResource(handler) || provider.node.tryFindChild('LogGroup')) return undefined;
    const logGroupName = `/aws/lambda/${Names.uniqueResourceName(provider, { maxLength: 200, separator: '-' })}`;
    const group = new logs.LogGroup(provider, 'LogGroup', {
      logGroupName,
      retention,
      encryptionKey,
      removalPolicy,
    });
    handler.addPropertyOverride('LoggingConfig', { LogGroup: group.logGroupName });
    handler.addResourceDependency(group.node.defaultChild as CfnResource);
    return logGroupName;
  }

  /**
   * The gateway endpoint's policy. The AWS-owned buckets are those listed in the EMR
   * Management Guide page "Sample policies for private subnets that access Amazon S3":
   * https://docs.aws.amazon.com/emr/latest/ManagementGuide/private-subnet-iampolicy.html
   * - Amazon Linux 2023 repository (EMR 7.x): al2023-repos-<region>-de612dc2
   * - EMR repository (EMR 5.22.0+): repo.<region>.emr.amazonaws.com
   * - EMR system logs (when cluster logging is on): aws157-logs-prod in us-east-1,
   *   aws157-logs-prod-<region> elsewhere
   */
  private addS3EndpointPolicy(lakeBuckets: s3.IBucket[], readOnlyBucketNames: string[]): void {
    const anyone = new iam.AnyPrincipal();
    const bucketArn = (name: string) => `arn:${Aws.PARTITION}:s3:::${name}`;

    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EmrAndAmazonLinuxRepositories',
        principals: [anyone],
        actions: ['s3:GetObject'],
        resources: [
          `${bucketArn(`al2023-repos-${Aws.REGION}-de612dc2`)}/*`,
          `${bucketArn(`repo.${Aws.REGION}.emr.amazonaws.com`)}/*`,
        ],
      }),
    );

    const inUsEast1 = new CfnCondition(this, 'InUsEast1', { expression: Fn.conditionEquals(Aws.REGION, 'us-east-1') });
    const systemLogsBucket = Fn.conditionIf(inUsEast1.logicalId, 'aws157-logs-prod', `aws157-logs-prod-${Aws.REGION}`).toString();
    this.s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EmrSystemLogs',
        principals: [anyone],
        actions: ['s3:PutObject'],
        resources: [`${bucketArn(systemLogsBucket)}/*`],
      }),
    );

    if (lakeBuckets.length > 0) {
      this.s3Endpoint.addToPolicy(
        new iam.PolicyStatement({
          sid: 'LakeBuckets',
          principals: [anyone],
          actions: [
            's3:GetObject*',
            's3:PutObject*',
            's3:DeleteObject*',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
            's3:ListBucket*',
            's3:GetBucketLocation',
          ],
          resources: lakeBuckets.flatMap((b) => [b.bucketArn, b.arnForObjects('*')]),
        }),
      );
    }
    if (readOnlyBucketNames.length > 0) {
      this.s3Endpoint.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadOnlyBuckets',
          principals: [anyone],
          actions: ['s3:GetObject'],
          resources: readOnlyBucketNames.map((n) => `${bucketArn(n)}/*`),
        }),
      );
    }
  }
}

/** The props checked; the zones, the NAT gateway count and the interface endpoints to create. */
function validate(props: LakeNetworkProps): { availabilityZones: string[]; natGateways: number; endpointNames: string[] } {
  if (props.availabilityZones && props.maxAzs !== undefined) {
    throw new Error(`LakeNetwork: give availabilityZones or maxAzs, not both; got ${props.availabilityZones.length} zones and maxAzs ${props.maxAzs}`);
  }
  const maxAzs = props.maxAzs ?? 2;
  if (!Number.isInteger(maxAzs) || maxAzs < 1 || maxAzs > 3) {
    throw new Error(`LakeNetwork: maxAzs must be a whole number 1–3, got ${maxAzs}`);
  }
  const availabilityZones = props.availabilityZones ?? Array.from({ length: maxAzs }, (_, i) => Fn.select(i, Fn.getAzs()));
  if (availabilityZones.length < 1 || availabilityZones.length > 3 || new Set(availabilityZones).size !== availabilityZones.length) {
    throw new Error(`LakeNetwork: availabilityZones must be 1–3 different zones, got ${availabilityZones.join(', ') || 'none'}`);
  }
  const natGateways = props.natGateways ?? 0;
  if (!Number.isInteger(natGateways) || natGateways < 0 || natGateways > availabilityZones.length) {
    throw new Error(`LakeNetwork: natGateways must be a whole number 0–${availabilityZones.length} (one per availability zone), got ${natGateways}`);
  }
  const endpointNames = [
    ...(props.interfaceEndpoints ?? EMR_INTERFACE_ENDPOINTS),
    ...(props.sessionManagerEndpoints ? SESSION_MANAGER_ENDPOINTS : []),
  ];
  const unknown = endpointNames.filter((n) => !Object.hasOwn(INTERFACE_ENDPOINT_SERVICES, n));
  if (unknown.length > 0) {
    throw new Error(
      `LakeNetwork: interfaceEndpoints must be among ${Object.keys(INTERFACE_ENDPOINT_SERVICES).join(', ')}, got ${unknown.join(', ')}`,
    );
  }
  if (new Set(endpointNames).size !== endpointNames.length) {
    throw new Error(`LakeNetwork: interfaceEndpoints must not repeat a name, got ${endpointNames.join(', ')}`);
  }
  return { availabilityZones, natGateways, endpointNames };
}

function endpointId(name: string): string {
  return name
    .split(/[.-]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

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
