import * as fs from 'node:fs';
import * as path from 'node:path';
import { Annotations, ArnFormat, AssetHashType, Aws, CustomResource, Duration, Names, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface EmrTlsCertificatesProps {
  /** Bucket for the archive. The EMR instance role reads it (`grantRead`). */
  readonly bucket: s3.IBucket;
  /** Key the archive is encrypted with (SSE-KMS). */
  readonly encryptionKey: kms.IKey;
  /**
   * Object key of the archive; ends in `.zip`.
   * @default 'emr-tls/certificates.zip'
   */
  readonly objectKey?: string;
  /**
   * How long the certificate is valid, 1–3650 whole days. EMR reads the archive when a
   * cluster starts: a cluster outliving its certificate fails its TLS handshakes.
   * @default Duration.days(730)
   */
  readonly validity?: Duration;
  /**
   * Change this value to issue a new certificate on the next deploy.
   * @default '1'
   */
  readonly rotation?: string;
  /**
   * Retention of the handler's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to that log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Customer-managed key for that log group. Its policy gets a statement that lets CloudWatch
   * Logs use it for exactly that group (a key defined in this app only).
   * @default - CloudWatch Logs' own encryption
   */
  readonly logEncryptionKey?: kms.IKey;
  /**
   * The handler's entry file (it exports `handler`), bundled with esbuild.
   * Relative paths are resolved from the working directory.
   * @default - ../../lambda/emr-tls-certificates/index.ts, relative to this file
   */
  readonly handlerEntry?: string;
}

const OBJECT_KEY = /^[A-Za-z0-9._/-]+\.zip$/;

/**
 * A self-signed certificate for EMR in-transit encryption, made at deploy time.
 *
 * A custom resource's function generates an RSA-2048 key and a wildcard certificate for the
 * Region's private DNS domain (`*.ec2.internal` in us-east-1, `*.<region>.compute.internal`
 * elsewhere), and writes the zip EMR's PEM provider reads (privateKey.pem,
 * certificateChain.pem, trustedCertificates.pem) to `s3://<bucket>/<objectKey>` under SSE-KMS
 * (https://docs.aws.amazon.com/emr/latest/ManagementGuide/emr-encryption-enable.html). The
 * private key never appears in the template, the repository, a log or the response to
 * CloudFormation; whoever can read the object and decrypt with the key can read it.
 *
 * Trade-off: the certificate is its own trust anchor, so it encrypts node-to-node traffic
 * and the nodes trust each other, but no outside CA vouches for it. Bring a CA-issued archive
 * (BatchCluster `inTransitCertificatesS3Uri`) where policy requires one.
 */
export class EmrTlsCertificates extends Construct {
  /** `s3://<bucket>/<objectKey>`, for BatchCluster `inTransitCertificatesS3Uri`. */
  public readonly s3Uri: string;
  public readonly objectKey: string;
  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  public readonly resource: CustomResource;
  private readonly bucket: s3.IBucket;
  private readonly key: kms.IKey;

  constructor(scope: Construct, id: string, props: EmrTlsCertificatesProps) {
    super(scope, id);
    const objectKey = props.objectKey ?? 'emr-tls/certificates.zip';
    const validityDays = (props.validity ?? Duration.days(730)).toDays({ integral: false });
    if (!OBJECT_KEY.test(objectKey)) {
      throw new Error(`EmrTlsCertificates: objectKey must be a key of letters, digits, ".", "_", "-" or "/" ending in .zip, got ${objectKey}`);
    }
    if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 3650) {
      throw new Error(`EmrTlsCertificates: validity must be 1–3650 whole days, got ${validityDays}`);
    }
    const entry = path.resolve(props.handlerEntry ?? path.join(__dirname, '..', '..', 'lambda', 'emr-tls-certificates', 'index.ts'));
    if (!/\.[cm]?[jt]s$/.test(entry) || !fs.statSync(entry, { throwIfNoEntry: false })?.isFile()) {
      throw new Error(`EmrTlsCertificates: handlerEntry must be an existing .ts or .js file, got ${entry}`);
    }
    this.objectKey = objectKey;
    this.bucket = props.bucket;
    this.key = props.encryptionKey;
    this.s3Uri = `s3://${props.bucket.bucketName}/${objectKey}`;

    // Named from the stack and construct path, so a key policy can name exactly this group.
    const logGroupName = `/aws/lambda/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName,
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (props.logEncryptionKey) admitLogGroups(this, props.logEncryptionKey, logGroupName);

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Writes and deletes the one EMR certificate archive',
      inlinePolicies: {
        Archive: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }),
            new iam.PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [props.bucket.arnForObjects(objectKey)] }),
            // A single-part SSE-KMS upload needs a data key only.
            new iam.PolicyStatement({ actions: ['kms:GenerateDataKey'], resources: [props.encryptionKey.keyArn] }),
          ],
        }),
      },
    });
    this.function = new lambda.Function(this, 'Function', {
      code: bundledHandler('EmrTlsCertificates: handlerEntry', entry, { minify: true, sourcemap: false }),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      // RSA key generation takes well under a second; the margin covers a slow S3 put.
      timeout: Duration.minutes(2),
      memorySize: 512,
      role,
      logGroup: this.logGroup,
      description: 'Issues the self-signed certificate archive for EMR in-transit encryption',
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::EmrTlsCertificates',
      properties: {
        Bucket: props.bucket.bucketName,
        Key: objectKey,
        KmsKeyArn: props.encryptionKey.keyArn,
        ValidityDays: String(validityDays),
        Rotation: props.rotation ?? '1',
      },
    });
    this.acknowledgeFindings(role);
  }

  /** Read the archive: what EMR's instance role needs to download it at cluster start. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    this.key.grantDecrypt(grantee);
    return iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [this.bucket.arnForObjects(this.objectKey)] });
  }

  /** The findings this construct causes by design, each with why it stands. */
  private acknowledgeFindings(role: iam.Role): void {
    const acknowledge = (scope: Construct, rule: string, reason: string, packs: string[]) => {
      for (const pack of packs) Validations.of(scope).acknowledge({ id: `${pack}-${rule}`, reason });
    };
    const all = ['PCI.DSS.321', 'NIST.800.53.R5', 'HIPAA.Security'];
    acknowledge(role, 'IAMNoInlinePolicy',
      'The role\'s own policy, naming only the archive object, its key and the log group; it is deleted with the role and cannot ' +
        'be attached elsewhere (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html).', all);
    acknowledge(this.function, 'LambdaInsideVPC',
      'Runs only when CloudFormation creates, updates or deletes the archive, and touches no card data; it calls only S3 and ' +
        'KMS, which a VPC without an internet route would reach through endpoints for no change to what it can reach.', all);
    acknowledge(this.function, 'LambdaConcurrency',
      'Invoked once per stack change of this resource; reserving concurrency would fail the first deploy in accounts whose ' +
        'quota leaves less than 100 unreserved (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).',
      ['NIST.800.53.R5', 'HIPAA.Security']);
    acknowledge(this.function, 'LambdaDLQ',
      'A custom-resource handler: it reports every outcome to CloudFormation itself, which shows a failure as the stack event; ' +
        'a dead-letter queue would hold requests (with no key material) that no one replays.', ['NIST.800.53.R5', 'HIPAA.Security']);
  }
}

/**
 * The handler at `entry`, bundled by esbuild into one CommonJS `index.js` for Node.js 24; the
 * AWS SDK v3 (`@aws-sdk/*`, `@smithy/*`) is left to the Lambda runtime. With esbuild installed,
 * it runs in this process through its JS API: no process per function. Without it, esbuild
 * runs in the SAM build image with Docker
 * (https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/serverless-image-repositories.html).
 * The asset hash is the bundle's, so a change to any file the handler imports (lambda/shared
 * too) deploys new code. The same function is in each construct that bundles, so that each
 * file can be copied alone; test/copyability.test.ts keeps the copies identical.
 */
function bundledHandler(label: string, entry: string, options: { minify: boolean; sourcemap: boolean }): lambda.Code {
  let root = path.dirname(entry); // the project with its node_modules; Docker mounts it as /asset-input
  while (!fs.existsSync(path.join(root, 'package.json'))) {
    if (root === path.dirname(root)) throw new Error(`${label} must be in a folder with a package.json above it, got ${entry}`);
    root = path.dirname(root);
  }
  const build = { bundle: true, platform: 'node', target: 'node24', ...options, external: ['@aws-sdk/*', '@smithy/*'] };
  const flags = Object.entries(build).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `--${k}:${x}`) : v === true ? [`--${k}`] : v ? [`--${k}=${v}`] : []));
  const relativeEntry = path.relative(root, entry).split(path.sep).join('/');
  const command = ['npx', '--yes', 'esbuild@0.28', `/asset-input/${relativeEntry}`, '--outfile=/asset-output/index.js', ...flags];
  return lambda.Code.fromAsset(root, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      image: lambda.Runtime.NODEJS_24_X.bundlingImage,
      environment: { npm_config_cache: '/tmp/npm-cache', npm_config_update_notifier: 'false' },
      command: ['bash', '-c', command.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')],
      local: {
        tryBundle(outputDir: string): boolean {
          let esbuild: { buildSync(options: object): unknown };
          try {
            // Loaded here, not imported: a copy of this file needs esbuild only to bundle in-process.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            esbuild = require('esbuild');
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw err;
            process.stderr.write(`${label} ${relativeEntry} is bundled with Docker because esbuild is not installed; \`npm install --save-dev esbuild\` bundles it in this process.\n`);
            return false;
          }
          esbuild.buildSync({ ...build, entryPoints: [entry], outfile: path.join(outputDir, 'index.js'), absWorkingDir: root, logLevel: 'warning' });
          return true;
        },
      },
    },
  });
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
