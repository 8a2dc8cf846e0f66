import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EmrTlsCertificates, EmrTlsCertificatesProps } from '../../lib/constructs/emr-tls-certificates';
import { testStack } from '../helpers';

function build(overrides: Partial<EmrTlsCertificatesProps> = {}) {
  const stack = testStack();
  const bucket = new s3.Bucket(stack, 'Bucket');
  const key = new kms.Key(stack, 'Key');
  const certificates = new EmrTlsCertificates(stack, 'Tls', { bucket, encryptionKey: key, ...overrides });
  return { stack, bucket, key, certificates, template: () => Template.fromStack(stack) };
}

describe('EmrTlsCertificates', () => {
  test('asks the custom resource for the default archive, validity and rotation', () => {
    const { template, stack, bucket, key } = build();
    template().hasResourceProperties('Custom::EmrTlsCertificates', {
      Bucket: stack.resolve(bucket.bucketName),
      Key: 'emr-tls/certificates.zip',
      KmsKeyArn: stack.resolve(key.keyArn),
      ValidityDays: '730',
      Rotation: '1',
    });
  });

  test('exposes the archive URI for BatchCluster', () => {
    const { certificates, stack, bucket } = build({ objectKey: 'tls/emr.zip' });
    expect(stack.resolve(certificates.s3Uri)).toEqual({ 'Fn::Join': ['', ['s3://', stack.resolve(bucket.bucketName), '/tls/emr.zip']] });
  });

  test('the function may write and delete that one object, with a data key from the one key', () => {
    const { template, stack, bucket, key } = build();
    template().hasResourceProperties('AWS::IAM::Role', {
      Policies: [{
        PolicyDocument: {
          Statement: Match.arrayWith([
            { Action: ['s3:DeleteObject', 's3:PutObject'], Effect: 'Allow', Resource: stack.resolve(bucket.arnForObjects('emr-tls/certificates.zip')) },
            { Action: 'kms:GenerateDataKey', Effect: 'Allow', Resource: stack.resolve(key.keyArn) },
          ]),
        },
      }],
    });
  });

  test('the template carries no key material', () => {
    expect(JSON.stringify(build().template().toJSON())).not.toMatch(/BEGIN (RSA )?PRIVATE KEY/);
  });

  test('grantRead gives GetObject on the archive and decrypt with its key', () => {
    const { certificates, stack, bucket, template } = build();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    certificates.grantRead(role);
    template().hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(role.roleName)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:GetObject', Resource: stack.resolve(bucket.arnForObjects('emr-tls/certificates.zip')) })]) },
    });
  });

  test('with a log key, encrypts its log group and admits CloudWatch Logs for exactly that group', () => {
    const { stack } = build();
    const logKey = new kms.Key(stack, 'LogKey');
    new EmrTlsCertificates(stack, 'Tls2', { bucket: new s3.Bucket(stack, 'B2'), encryptionKey: logKey, logEncryptionKey: logKey });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/TestStack-Tls2-FB0B7987', KmsKeyId: stack.resolve(logKey.keyArn) });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
        Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':log-group:/aws/lambda/TestStack-Tls2-FB0B7987']] } } },
      })]) },
    });
  });

  test.each<[Partial<EmrTlsCertificatesProps>, string]>([
    [{ objectKey: 'certs.tar' }, 'EmrTlsCertificates: objectKey must be a key of letters, digits, ".", "_", "-" or "/" ending in .zip, got certs.tar'],
    [{ validity: Duration.days(3651) }, 'EmrTlsCertificates: validity must be 1–3650 whole days, got 3651'],
    [{ validity: Duration.hours(36) }, 'EmrTlsCertificates: validity must be 1–3650 whole days, got 1.5'],
  ])('rejects %p', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});
