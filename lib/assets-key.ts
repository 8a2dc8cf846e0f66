/**
 * Reading CDK file assets (the Spark job, the model artifact) when the bootstrap
 * bucket is encrypted with a KMS key the roles need an IAM grant for.
 *
 * `cdk bootstrap` (bootstrap template version 33, aws-cdk 2.1148) encrypts the assets bucket with
 * - the AWS managed key aws/s3 by default, or
 * - with --bootstrap-customer-key, a key whose policy lets every principal of the account use it
 *   through S3 (kms:CallerAccount and kms:ViaService s3.<region>.amazonaws.com),
 * and in both cases s3:GetObject is all a role needs. With --bootstrap-kms-key-id, your key's
 * policy decides; the default key policy delegates to IAM
 * (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html), and then the
 * roles need kms:Decrypt on the key. The context key assetsKeyArn grants it.
 * Template: https://github.com/aws/aws-cdk-cli/blob/main/packages/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/** Lets the grantee decrypt with the assets key, and only for S3 reads. */
export function grantAssetsKeyDecrypt(grantee: iam.IGrantable, keyArn: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'DecryptCdkAssets',
    actions: ['kms:Decrypt'],
    resources: [keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
  }));
}
