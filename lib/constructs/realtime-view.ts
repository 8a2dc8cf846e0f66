import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface RealtimeViewProps {
  /**
   * Point-in-time recovery (35 days of continuous backups).
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Refuse `DeleteTable` until turned off.
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the table and its key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The speed layer's real-time view: one DynamoDB table, on-demand, encrypted with a
 * customer-managed key, with items expiring through the `expires_at` TTL attribute.
 *
 * Keys:
 * - `pk = customer#<customer_id>`, `sk = event#<event_id>`: one item per scored event;
 * - `pk = customer#<customer_id>`, `sk = latest`: the customer's latest risk.
 * One Query on `pk` returns a customer's latest risk and recent scores together.
 */
export class RealtimeView extends Construct {
  /** Name of the TTL attribute (epoch seconds). */
  public static readonly TTL_ATTRIBUTE = 'expires_at';
  public readonly table: dynamodb.Table;
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: RealtimeViewProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.key = new kms.Key(this, 'Key', {
      description: 'Real-time view table',
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(7),
    });
    // Table, not TableV2: TableV2 cannot render a customer-managed key in an environment-agnostic stack.
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      timeToLiveAttribute: RealtimeView.TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy,
    });
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      Validations.of(this.table).acknowledge({
        id: `${pack}-DynamoDBInBackupPlan`,
        reason: 'A derived view: every item expires (TTL) and is rebuilt from the stream and the raw zone, which keeps every ' +
          'event. Point-in-time recovery covers operator error for 35 days; an AWS Backup plan would keep copies of ' +
          'card-derived data past their TTL, which data retention should minimise.',
      });
    }
  }

  /** Put and batch-write items (and use the key to encrypt them). */
  public grantWriteScores(grantee: iam.IGrantable): iam.Grant {
    this.key.grantEncryptDecrypt(grantee);
    return this.table.grant(grantee, 'dynamodb:BatchWriteItem', 'dynamodb:PutItem');
  }

  /** Query and get items. */
  public grantReadScores(grantee: iam.IGrantable): iam.Grant {
    this.key.grantDecrypt(grantee);
    return this.table.grant(grantee, 'dynamodb:GetItem', 'dynamodb:Query');
  }
}
