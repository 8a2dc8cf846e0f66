import { createHash } from 'node:crypto';
import { Annotations, ArnFormat, Aws, CfnMapping, CfnResource, CfnRule, Duration, Fn, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

/** Where the model artifact (`model.tar.gz`) is; an `s3_assets.Asset` fits (`{ bucket, s3ObjectKey }`). */
export interface ModelArtifactLocation {
  readonly bucket: s3.IBucket;
  readonly objectKey: string;
}

export interface DataCaptureProps {
  /** Bucket that receives captured requests and responses. */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix for the captured data, without a trailing slash.
   * @default 'data-capture'
   */
  readonly prefix?: string;
  /**
   * Share of requests captured, 1–100.
   * @default 100
   */
  readonly samplingPercentage?: number;
}

export interface InferenceEndpointProps {
  /** The model artifact: model.json and code/inference.py in a tar.gz. */
  readonly modelData: ModelArtifactLocation;
  /** Alarms notify this topic. */
  readonly alarmTopic: sns.ITopic;
  /**
   * 'serverless' (no cost when idle) or 'instance' (provisioned instances).
   * @default 'serverless'
   */
  readonly compute?: 'serverless' | 'instance';
  /**
   * Serverless memory, 1024–6144 MB in 1024 MB steps (SageMaker ProductionVariantServerlessConfig).
   * @default 2048
   */
  readonly memorySizeInMb?: number;
  /**
   * Serverless maximum concurrent invocations, 1–200 (SageMaker ProductionVariantServerlessConfig).
   * @default 5
   */
  readonly maxConcurrency?: number;
  /**
   * Instance type, `ml.<family>.<size>`. Instance mode only.
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;
  /**
   * Instances at deploy time and the autoscaling minimum, ≥ 1. Instance mode only.
   * @default 1
   */
  readonly instanceCount?: number;
  /**
   * Autoscaling maximum, ≥ instanceCount; equal to it turns autoscaling off. Instance mode only.
   * @default instanceCount
   */
  readonly maxInstanceCount?: number;
  /**
   * Target of SageMakerVariantInvocationsPerInstance (invocations per instance per minute), > 0.
   * @default 1000
   */
  readonly targetInvocationsPerInstance?: number;
  /**
   * VPC for the model container. Instance mode only (serverless endpoints cannot join a VPC).
   * @default - no VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets in `vpc`.
   * @default - the VPC's private (isolated or with egress) subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups for the container in `vpc`.
   * @default - one group with no inbound rules and outbound HTTPS only
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Capture requests and responses to S3. Instance mode only (serverless endpoints do not support data capture).
   * @default - no capture
   */
  readonly dataCapture?: DataCaptureProps;
  /**
   * Key for the endpoint's ML storage volume (the endpoint config's KmsKeyId) and captured data.
   * Instance mode only, and not with instance types that have local NVMe storage, which
   * SageMaker encrypts in hardware and for which it rejects a KmsKeyId.
   * @default - a new key with rotation, in instance mode with an instance type without local storage
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Run the container without network access (SageMaker downloads the artifact itself).
   * Instance mode only (serverless endpoints do not support network isolation).
   * @default true in instance mode
   */
  readonly networkIsolation?: boolean;
  /**
   * ModelLatency p90 above this raises the latency alarm.
   * @default Duration.seconds(1)
   */
  readonly latencyAlarmThreshold?: Duration;
  /**
   * The endpoint's name, fixed at synth so that its log group (`/aws/sagemaker/Endpoints/<name>`)
   * exists before SageMaker first writes to it. 1–63 letters, digits and hyphens (SageMaker EndpointName).
   * @default - the stack name and the construct's path below the stack, e.g. `lake-serving-Endpoint`
   */
  readonly endpointName?: string;
  /**
   * Retention of the endpoint's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Customer-managed key for the endpoint's log group. Its policy gets a statement that lets
   * CloudWatch Logs use it for exactly that group (a key defined in this app only).
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * Removal policy of the key the construct creates and of the endpoint's log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The framework image: the SageMaker scikit-learn container, which runs inference.py's model_fn/input_fn/predict_fn/output_fn. */
export const IMAGE_REPOSITORY = 'sagemaker-scikit-learn';
export const IMAGE_TAG = '1.2-1-cpu-py3';

/**
 * Registry account of sagemaker-scikit-learn 1.2-1 per commercial region, from AWS's
 * "Docker Registry Paths and Example Code" pages
 * (https://docs.aws.amazon.com/sagemaker/latest/dg-ecr-paths/sagemaker-algo-docker-registry-paths.html,
 * e.g. …/dg-ecr-paths/ecr-us-east-1.html#sklearn-us-east-1) and the SageMaker Python SDK's
 * src/sagemaker/image_uri_config/sklearn.json. China, GovCloud and ISO regions use other
 * partitions and are left out.
 */
export const IMAGE_REGISTRY_ACCOUNTS: Readonly<Record<string, string>> = {
  'af-south-1': '510948584623',
  'ap-east-1': '651117190479',
  'ap-northeast-1': '354813040037',
  'ap-northeast-2': '366743142698',
  'ap-northeast-3': '867004704886',
  'ap-south-1': '720646828776',
  'ap-south-2': '628508329040',
  'ap-southeast-1': '121021644041',
  'ap-southeast-2': '783357654285',
  'ap-southeast-3': '951798379941',
  'ap-southeast-4': '106583098589',
  'ca-central-1': '341280168497',
  'eu-central-1': '492215442770',
  'eu-central-2': '680994064768',
  'eu-north-1': '662702820516',
  'eu-south-1': '978288397137',
  'eu-south-2': '104374241257',
  'eu-west-1': '141502667606',
  'eu-west-2': '764974769150',
  'eu-west-3': '659782779980',
  'me-central-1': '272398656194',
  'me-south-1': '801668240914',
  'sa-east-1': '737474898029',
  'us-east-1': '683313688378',
  'us-east-2': '257758044811',
  'us-west-1': '746614075791',
  'us-west-2': '246618743249',
};
export const SUPPORTED_REGIONS = Object.keys(IMAGE_REGISTRY_ACCOUNTS);

const VARIANT_NAME = 'AllTraffic';
/** SageMaker's EndpointName pattern (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html). */
const ENDPOINT_NAME_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const MEMORY_SIZES = [1024, 2048, 3072, 4096, 5120, 6144];
const INSTANCE_TYPE_PATTERN = /^ml\.[a-z0-9-]+\.[a-z0-9]+$/;
/**
 * Families with local NVMe instance storage (…d, …dn, and the GPU/accelerator families
 * that always have it): SageMaker's CreateEndpointConfig rejects a KmsKeyId for them.
 */
const LOCAL_STORAGE_FAMILY = /^ml\.([a-z]+\d+[a-z]*d[a-z]*|g5|g6|g6e|p4de|p5|p5e|trn1|trn1n|inf2)\./;

export function hasLocalInstanceStorage(instanceType: string): boolean {
  return LOCAL_STORAGE_FAMILY.test(instanceType);
}

/**
 * A SageMaker real-time endpoint serving a model artifact with the scikit-learn
 * framework container: model, endpoint config and endpoint (L1s), the execution
 * role, metrics and alarms.
 *
 * - Serverless by default: no cost when idle; no VPC, data capture, network isolation
 *   or KmsKeyId (the serverless variant has no ML storage volume).
 * - Instance mode: instance type and count, target-tracking autoscaling on invocations
 *   per instance, VPC, data capture to S3 with KMS, KmsKeyId where the instance type allows.
 * - The image comes from a region → registry-account mapping. A region outside it fails
 *   at synth (when the stack has a concrete region) or at deploy (a template rule).
 */
export class InferenceEndpoint extends Construct {
  public readonly role: iam.Role;
  public readonly model: sagemaker.CfnModel;
  public readonly endpointConfig: sagemaker.CfnEndpointConfig;
  public readonly endpoint: sagemaker.CfnEndpoint;
  /** The endpoint's name (a reference to the endpoint, so that users of it depend on it). */
  public readonly endpointName: string;
  /** `/aws/sagemaker/Endpoints/<name>`, created before the endpoint. */
  public readonly logGroup: logs.LogGroup;
  public readonly endpointArn: string;
  public readonly variantName = VARIANT_NAME;
  public readonly serverless: boolean;
  /** The container image URI. */
  public readonly imageUri: string;
  public readonly encryptionKey?: kms.IKey;
  public readonly securityGroups: ec2.ISecurityGroup[];
  public readonly scalableTarget?: appscaling.ScalableTarget;
  public readonly serverErrorsAlarm: cloudwatch.Alarm;
  public readonly clientErrorsAlarm: cloudwatch.Alarm;
  public readonly latencyAlarm: cloudwatch.Alarm;

  private readonly settings: Settings;

  constructor(scope: Construct, id: string, props: InferenceEndpointProps) {
    super(scope, id);
    this.settings = resolveSettings(this, props);
    const { endpointName } = this.settings;
    this.serverless = this.settings.serverless;

    const image = this.frameworkImage();
    this.imageUri = image.uri;
    this.encryptionKey = this.createKey(props);
    this.role = this.createRole(props.modelData, image.registryAccount);
    this.logGroup = this.createLogGroup(endpointName, props);
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'EndpointMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/Endpoints', 'AWS/SageMaker'] } },
    }));
    const network = props.vpc ? this.containerNetwork(props.vpc, props.vpcSubnets, props.securityGroups) : undefined;
    this.securityGroups = network?.securityGroups ?? [];
    this.model = this.createModel(props, network?.vpcConfig);
    const dataCaptureConfig = props.dataCapture ? this.dataCapture(props.dataCapture) : undefined;

    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: [this.productionVariant()],
      kmsKeyId: this.encryptionKey?.keyArn,
      dataCaptureConfig,
    });
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Endpoint', { endpointName, endpointConfigName: this.endpointConfig.attrEndpointConfigName });
    // SageMaker creates the group when the endpoint starts; it must exist by then (and outlive the endpoint on delete).
    this.endpoint.addResourceDependency(this.logGroup.node.defaultChild as CfnResource);
    this.acknowledgeFindings(props.dataCapture ? `${this.settings.capturePrefix}/*` : undefined);
    this.endpointName = this.endpoint.attrEndpointName;
    // Ref of AWS::SageMaker::Endpoint is its ARN (SageMaker lower-cases the name in it).
    this.endpointArn = this.endpoint.ref;

    if (!this.serverless && this.settings.maxInstanceCount > this.settings.instanceCount) this.scalableTarget = this.createScaling();
    [this.serverErrorsAlarm, this.clientErrorsAlarm, this.latencyAlarm] = this.createAlarms(new cloudwatchActions.SnsAction(props.alarmTopic));
  }

  /**
   * The framework image: region → registry account, resolved by CloudFormation from a
   * mapping; a template rule fails the deploy clearly in a region outside it.
   */
  private frameworkImage(): { uri: string; registryAccount: string } {
    const registries = new CfnMapping(this, 'ImageRegistry', {
      mapping: Object.fromEntries(Object.entries(IMAGE_REGISTRY_ACCOUNTS).map(([r, account]) => [r, { account }])),
    });
    new CfnRule(this, 'SupportedRegion', {
      assertions: [{
        assert: Fn.conditionContains(SUPPORTED_REGIONS, Aws.REGION),
        assertDescription: `InferenceEndpoint supports only the regions with a ${IMAGE_REPOSITORY} image: ${SUPPORTED_REGIONS.join(', ')}`,
      }],
    });
    const registryAccount = registries.findInMap(Aws.REGION, 'account');
    return { uri: `${registryAccount}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${IMAGE_REPOSITORY}:${IMAGE_TAG}`, registryAccount };
  }

  /** The ML storage volume's key: none for serverless or local-NVMe instance types, else the given one or a new one. */
  private createKey(props: InferenceEndpointProps): kms.IKey | undefined {
    if (this.serverless || this.settings.localStorage) return undefined;
    return props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: 'SageMaker endpoint storage volume and data capture',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(7),
    });
  }

  /** The execution role: reads the model artifact and pulls the framework image. */
  private createRole(modelData: ModelArtifactLocation, registryAccount: string): iam.Role {
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'SageMaker execution role: reads the model artifact and pulls the framework image',
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadModelArtifact',
      actions: ['s3:GetObject'],
      resources: [modelData.bucket.arnForObjects(modelData.objectKey)],
    }));
    modelData.bucket.encryptionKey?.grantDecrypt(role);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PullFrameworkImage',
      actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      resources: [Stack.of(this).formatArn({ service: 'ecr', account: registryAccount, resource: 'repository', resourceName: IMAGE_REPOSITORY })],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'EcrLogin',
      actions: ['ecr:GetAuthorizationToken'],
      resources: ['*'],
    }));
    return role;
  }

  /** Instance mode in a VPC: the subnets and security groups, and the ENI permissions SageMaker uses the execution role for. */
  private containerNetwork(
    vpc: ec2.IVpc, vpcSubnets: ec2.SubnetSelection | undefined, securityGroups: ec2.ISecurityGroup[] | undefined,
  ): { vpcConfig: sagemaker.CfnModel.VpcConfigProperty; securityGroups: ec2.ISecurityGroup[] } {
    const groups = securityGroups ?? [this.defaultSecurityGroup(vpc)];
    const selection = vpcSubnets ?? { subnets: vpc.isolatedSubnets.length > 0 ? vpc.isolatedSubnets : vpc.privateSubnets };
    const subnetIds = vpc.selectSubnets(selection).subnetIds;
    if (subnetIds.length === 0) {
      throw new Error('InferenceEndpoint: vpc must have private subnets (isolated or with egress), or pass vpcSubnets');
    }
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ContainerNetworkInterfaces',
      actions: [
        'ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface',
        'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeDhcpOptions', 'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs',
      ],
      resources: ['*'],
    }));
    return { vpcConfig: { subnets: subnetIds, securityGroupIds: groups.map((g) => g.securityGroupId) }, securityGroups: groups };
  }

  private createModel(props: InferenceEndpointProps, vpcConfig: sagemaker.CfnModel.VpcConfigProperty | undefined): sagemaker.CfnModel {
    const model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: this.role.roleArn,
      primaryContainer: {
        image: this.imageUri,
        modelDataUrl: props.modelData.bucket.s3UrlForObject(props.modelData.objectKey),
        environment: {
          SAGEMAKER_PROGRAM: 'inference.py',
          SAGEMAKER_SUBMIT_DIRECTORY: '/opt/ml/model/code',
          SAGEMAKER_CONTAINER_LOG_LEVEL: '20',
          SAGEMAKER_REGION: Aws.REGION,
        },
      },
      enableNetworkIsolation: this.serverless ? undefined : props.networkIsolation ?? true,
      vpcConfig,
    });
    model.node.addDependency(this.role);
    return model;
  }

  /** Requests and responses to the capture bucket under its prefix, with its key (or the volume key). */
  private dataCapture(capture: DataCaptureProps): sagemaker.CfnEndpointConfig.DataCaptureConfigProperty {
    const prefix = this.settings.capturePrefix;
    const captureKey = capture.bucket.encryptionKey ?? this.encryptionKey;
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteDataCapture',
      actions: ['s3:PutObject'],
      resources: [capture.bucket.arnForObjects(`${prefix}/*`)],
    }));
    if (captureKey) {
      // SSE-KMS uploads need a data key; multipart uploads also decrypt it.
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'EncryptDataCapture',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [captureKey.keyArn],
      }));
    }
    return {
      enableCapture: true,
      initialSamplingPercentage: this.settings.samplingPercentage,
      destinationS3Uri: capture.bucket.s3UrlForObject(prefix),
      kmsKeyId: captureKey?.keyArn,
      captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      captureContentTypeHeader: { jsonContentTypes: ['application/json', 'application/jsonlines'] },
    };
  }

  private productionVariant(): sagemaker.CfnEndpointConfig.ProductionVariantProperty {
    const { memorySizeInMb, maxConcurrency, instanceType, instanceCount } = this.settings;
    return this.serverless
      ? { variantName: VARIANT_NAME, modelName: this.model.attrModelName, serverlessConfig: { memorySizeInMb, maxConcurrency } }
      : { variantName: VARIANT_NAME, modelName: this.model.attrModelName, instanceType, initialInstanceCount: instanceCount, initialVariantWeight: 1 };
  }

  /** Target tracking on invocations per instance, between instanceCount and maxInstanceCount. */
  private createScaling(): appscaling.ScalableTarget {
    const target = new appscaling.ScalableTarget(this, 'Scaling', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${this.endpointName}/variant/${VARIANT_NAME}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: this.settings.instanceCount,
      maxCapacity: this.settings.maxInstanceCount,
      role: iam.Role.fromRoleArn(this, 'ScalingRole', Stack.of(this).formatArn({
        service: 'iam',
        region: '',
        resource: 'role',
        resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
      })),
    });
    target.node.addDependency(this.endpoint);
    target.scaleToTrackMetric('InvocationsPerInstance', {
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      targetValue: this.settings.targetInvocations,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    return target;
  }

  /** 5XX errors, 4XX errors and p90 latency; each notifies on alarm and on OK. */
  private createAlarms(action: cloudwatch.IAlarmAction): [cloudwatch.Alarm, cloudwatch.Alarm, cloudwatch.Alarm] {
    const alarm = (alarmId: string, metric: cloudwatch.Metric, threshold: number, description: string) => {
      const a = metric.createAlarm(this, alarmId, {
        threshold,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };
    const latency = this.settings.latencyThreshold;
    return [
      alarm('ServerErrorsAlarm', this.metricInvocation5XXErrors(), 1, 'The model container returned 5XX errors in 2 of 3 five-minute periods'),
      alarm('ClientErrorsAlarm', this.metricInvocation4XXErrors(), 10, 'Callers sent 10 or more rejected requests (4XX) in 2 of 3 five-minute periods'),
      alarm('LatencyAlarm', this.metricModelLatency({ statistic: 'p90' }), latency.toMilliseconds() * 1000,
        `ModelLatency p90 at or above ${latency.toHumanString()} in 2 of 3 five-minute periods`),
    ];
  }

  /** Lets the principal call InvokeEndpoint on this endpoint. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn] });
  }

  /** A metric of AWS/SageMaker for this endpoint's variant. */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: VARIANT_NAME },
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** Model latency in microseconds. @default average over 5 minutes */
  public metricModelLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: 'Average', ...props });
  }

  /** Requests rejected with 4XX. @default sum over 5 minutes */
  public metricInvocation4XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', { statistic: 'Sum', ...props });
  }

  /** Requests failed with 5XX. @default sum over 5 minutes */
  public metricInvocation5XXErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', { statistic: 'Sum', ...props });
  }

  /** Invocations. @default sum over 5 minutes */
  public metricInvocations(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', { statistic: 'Sum', ...props });
  }

  /** Cold-start time of a serverless endpoint, in microseconds. @default average over 5 minutes */
  public metricModelSetupTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    if (!this.serverless) {
      Annotations.of(this).addWarningV2('@lake/inference-endpoint:setup-time', 'ModelSetupTime is published only for serverless endpoints');
    }
    return this.metric('ModelSetupTime', { statistic: 'Average', ...props });
  }

  /** The findings this construct causes by design, each with why it stands. */
  private acknowledgeFindings(captureObjects?: string): void {
    const policy = this.role.node.findChild('DefaultPolicy');
    const acknowledge = (id: string, reason: string) => Validations.of(policy).acknowledge({ id, reason });
    acknowledge('AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken has no resource-level permissions (image pulls are scoped to the one repository); ' +
        'cloudwatch:PutMetricData is limited by a namespace condition; the EC2 network-interface actions SageMaker needs in a ' +
        'VPC have no resource-level scoping before the interfaces exist');
    if (captureObjects) {
      policy.node.addValidation({
        validate: () => {
          // The capture bucket's ARN is a reference; its flattened form is known once resolved.
          const document = Stack.of(policy).resolve((policy.node.defaultChild as iam.CfnPolicy).policyDocument);
          for (const statement of document.Statement ?? []) {
            const arn = statement.Sid === 'WriteDataCapture' ? statement.Resource?.['Fn::Join'] : undefined;
            if (!arn) continue;
            const [, parts] = arn as [string, unknown[]];
            const flat = parts.map((p) => (typeof p === 'string' ? p : `<${(p as { 'Fn::GetAtt': string[] })['Fn::GetAtt']?.join('.')}>`)).join('');
            acknowledge(`AwsSolutions-IAM5[Resource::${flat}]`,
              'SageMaker data capture writes objects with generated keys under this one prefix; s3:PutObject only');
          }
          return [];
        },
      });
    }
    for (const pack of ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security']) {
      Validations.of(this.role).acknowledge({
        id: `${pack}-IAMNoInlinePolicy`,
        reason: 'The policy belongs to this one execution role and names only the model artifact, image repository, capture ' +
          'prefix and key; as the role\'s own policy it is deleted with it and cannot be attached elsewhere ' +
          '(https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).',
      });
    }
  }

  /**
   * The endpoint's log group, named as SageMaker names it
   * (https://docs.aws.amazon.com/sagemaker/latest/dg/logging-cloudwatch.html), so that it has a
   * retention and goes with the stack instead of being created by SageMaker on first write.
   */
  private createLogGroup(endpointName: string, props: InferenceEndpointProps): logs.LogGroup {
    const logGroupName = `/aws/sagemaker/Endpoints/${endpointName}`;
    const group = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      encryptionKey: props.logEncryptionKey,
    });
    if (props.logEncryptionKey) admitLogGroups(this, props.logEncryptionKey, logGroupName);
    const arn = Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'EndpointLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
      resources: [arn, `${arn}:*`],
    }));
    Validations.of(this.role.node.findChild('DefaultPolicy')).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:${logGroupName}:*]`,
      reason: 'SageMaker names one log stream per variant and instance inside the endpoint\'s own log group; the wildcard covers only the streams of that group',
    });
    return group;
  }

  private defaultSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'SageMaker model container: no inbound, HTTPS out only',
      allowAllOutbound: false,
    });
    sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs through VPC endpoints or NAT');
    return sg;
  }
}

/** The props with their defaults, validated. */
interface Settings {
  readonly serverless: boolean;
  readonly memorySizeInMb: number;
  readonly maxConcurrency: number;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly maxInstanceCount: number;
  readonly targetInvocations: number;
  readonly latencyThreshold: Duration;
  readonly samplingPercentage: number;
  readonly capturePrefix: string;
  readonly localStorage: boolean;
  readonly endpointName: string;
}

function resolveSettings(scope: Construct, props: InferenceEndpointProps): Settings {
  const compute = props.compute ?? 'serverless';
  if (compute !== 'serverless' && compute !== 'instance') {
    throw new Error(`InferenceEndpoint: compute must be 'serverless' or 'instance', got ${String(compute)}`);
  }
  const instanceType = props.instanceType ?? 'ml.m5.large';
  const instanceCount = props.instanceCount ?? 1;
  const settings: Settings = {
    serverless: compute === 'serverless',
    memorySizeInMb: props.memorySizeInMb ?? 2048,
    maxConcurrency: props.maxConcurrency ?? 5,
    instanceType,
    instanceCount,
    maxInstanceCount: props.maxInstanceCount ?? instanceCount,
    targetInvocations: props.targetInvocationsPerInstance ?? 1000,
    latencyThreshold: props.latencyAlarmThreshold ?? Duration.seconds(1),
    samplingPercentage: props.dataCapture?.samplingPercentage ?? 100,
    capturePrefix: props.dataCapture?.prefix ?? 'data-capture',
    localStorage: hasLocalInstanceStorage(instanceType),
    endpointName: props.endpointName ?? defaultEndpointName(scope),
  };
  if (settings.serverless) validateServerless(props, settings);
  else validateInstance(props, settings);
  const { endpointName } = settings;
  if (Token.isUnresolved(endpointName) || !ENDPOINT_NAME_PATTERN.test(endpointName)) {
    throw new Error(`InferenceEndpoint: endpointName must be 1–63 letters, digits and hyphens, starting and ending with a letter or digit, got ${endpointName}`);
  }
  const region = Stack.of(scope).region;
  if (!Token.isUnresolved(region) && !SUPPORTED_REGIONS.includes(region)) {
    throw new Error(`InferenceEndpoint: region must be one of ${SUPPORTED_REGIONS.join(', ')}, got ${region}`);
  }
  return settings;
}

/** Serverless endpoints support no VPC, data capture, network isolation, KMS volume key or instances. */
function validateServerless(props: InferenceEndpointProps, s: Settings): void {
  const instanceOnly: Array<[string, unknown]> = [
    ['vpc', props.vpc], ['vpcSubnets', props.vpcSubnets], ['securityGroups', props.securityGroups],
    ['dataCapture', props.dataCapture], ['encryptionKey', props.encryptionKey], ['networkIsolation', props.networkIsolation],
    ['instanceType', props.instanceType], ['instanceCount', props.instanceCount], ['maxInstanceCount', props.maxInstanceCount],
    ['targetInvocationsPerInstance', props.targetInvocationsPerInstance],
  ];
  const set = instanceOnly.find(([, v]) => v !== undefined);
  if (set) {
    throw new Error(`InferenceEndpoint: ${set[0]} needs compute 'instance'; serverless endpoints support no VPC, data capture, network isolation, KMS volume key or instances`);
  }
  if (!MEMORY_SIZES.includes(s.memorySizeInMb)) {
    throw new Error(`InferenceEndpoint: memorySizeInMb must be one of ${MEMORY_SIZES.join(', ')}, got ${s.memorySizeInMb}`);
  }
  if (!Number.isInteger(s.maxConcurrency) || s.maxConcurrency < 1 || s.maxConcurrency > 200) {
    throw new Error(`InferenceEndpoint: maxConcurrency must be a whole number 1–200, got ${s.maxConcurrency}`);
  }
}

function validateInstance(props: InferenceEndpointProps, s: Settings): void {
  if (props.memorySizeInMb !== undefined || props.maxConcurrency !== undefined) {
    throw new Error(`InferenceEndpoint: ${props.memorySizeInMb !== undefined ? 'memorySizeInMb' : 'maxConcurrency'} needs compute 'serverless'`);
  }
  if (!INSTANCE_TYPE_PATTERN.test(s.instanceType)) {
    throw new Error(`InferenceEndpoint: instanceType must look like ml.<family>.<size>, got ${s.instanceType}`);
  }
  if (!Number.isInteger(s.instanceCount) || s.instanceCount < 1) {
    throw new Error(`InferenceEndpoint: instanceCount must be a whole number ≥ 1, got ${s.instanceCount}`);
  }
  if (!Number.isInteger(s.maxInstanceCount) || s.maxInstanceCount < s.instanceCount) {
    throw new Error(`InferenceEndpoint: maxInstanceCount must be a whole number ≥ instanceCount (${s.instanceCount}), got ${s.maxInstanceCount}`);
  }
  if (!(s.targetInvocations > 0)) {
    throw new Error(`InferenceEndpoint: targetInvocationsPerInstance must be > 0, got ${s.targetInvocations}`);
  }
  if (props.encryptionKey && s.localStorage) {
    throw new Error(`InferenceEndpoint: encryptionKey cannot be used with ${s.instanceType}, whose local NVMe storage SageMaker encrypts in hardware (it rejects a KmsKeyId)`);
  }
  if ((props.vpcSubnets || props.securityGroups) && !props.vpc) {
    throw new Error(`InferenceEndpoint: ${props.vpcSubnets ? 'vpcSubnets' : 'securityGroups'} needs vpc`);
  }
  if (!Number.isInteger(s.samplingPercentage) || s.samplingPercentage < 1 || s.samplingPercentage > 100) {
    throw new Error(`InferenceEndpoint: dataCapture.samplingPercentage must be a whole number 1–100, got ${s.samplingPercentage}`);
  }
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

/** `<stack name>-<path below the stack>`, cut to SageMaker's 63 characters with a hash when longer. */
function defaultEndpointName(scope: Construct): string {
  const stack = Stack.of(scope);
  if (Token.isUnresolved(stack.stackName)) return stack.stackName;
  const below = scope.node.path.split('/').slice(stack.node.path.split('/').length);
  const name = [stack.stackName, ...below].join('-').replace(/[^a-zA-Z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  if (name.length <= 63) return name;
  const hash = createHash('sha256').update(scope.node.path).digest('hex').slice(0, 8);
  return `${name.slice(0, 54).replace(/-+$/, '')}-${hash}`;
}
