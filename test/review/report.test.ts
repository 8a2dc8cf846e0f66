import { Templates } from '../../lib/cost/estimate';
import { destroySection, guardSection } from '../../lib/review/deploy-safety';
import { render, reviewEncryption, reviewNetwork, reviewRoles } from '../../lib/review/report';

describe('rendering CloudFormation values', () => {
  test('references, attributes, imports and joins read as text', () => {
    expect(render({ Ref: 'Bucket' })).toBe('${Bucket}');
    expect(render({ 'Fn::GetAtt': ['Key', 'Arn'] })).toBe('${Key.Arn}');
    expect(render({ 'Fn::ImportValue': 'lake-storage:ExportsOutputRawArn' })).toBe('import(lake-storage:ExportsOutputRawArn)');
    expect(render({ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Raw', 'Arn'] }, '/raw/*']] })).toBe('${Raw.Arn}/raw/*');
  });

  test('a weak cross-stack reference is followed into the outputs of the other stack', () => {
    const ref = { 'Fn::GetStackOutput': { StackName: 'lake-storage', OutputName: 'RawArn' } };
    const templates: Templates = { 'lake-storage': { Outputs: { RawArn: { Value: { 'Fn::GetAtt': ['Raw', 'Arn'] } } } } };
    expect(render({ 'Fn::Join': ['', [ref, '/raw/*']] }, templates)).toBe('${lake-storage/Raw.Arn}/raw/*');
    expect(render(ref)).toBe('${lake-storage:RawArn}');
  });

  test('a strong cross-stack reference is followed to the exported output of the other stack', () => {
    const ref = { 'Fn::ImportValue': 'lake-storage:ExportsOutputRawArn' };
    const templates: Templates = {
      'lake-storage': { Outputs: { ExportsOutputRawArn: { Value: { 'Fn::GetAtt': ['Raw', 'Arn'] }, Export: { Name: 'lake-storage:ExportsOutputRawArn' } } } },
    };
    expect(render({ 'Fn::Join': ['', [ref, '/raw/*']] }, templates)).toBe('${lake-storage/Raw.Arn}/raw/*');
  });
});

describe('IAM roles', () => {
  const templates: Templates = {
    s: {
      Resources: {
        Role: { Type: 'AWS::IAM::Role', Properties: {
          AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] },
          ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] }],
          Policies: [{ PolicyName: 'inline', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'kinesis:PutRecords', Resource: { 'Fn::GetAtt': ['Stream', 'Arn'] } }] } }],
        } },
        Attached: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Role' }], PolicyDocument: { Statement: [
          { Effect: 'Allow', Action: ['s3:GetObject*', 's3:List*'], Resource: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Raw', 'Arn'] }, '/*']] }] },
          { Effect: 'Deny', Action: '*', Resource: '*' },
        ] } } },
        OtherPolicy: { Type: 'AWS::IAM::Policy', Properties: { Roles: [{ Ref: 'Other' }], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'x:y', Resource: '*' }] } } },
      },
    },
  };
  const [role] = reviewRoles(templates);

  test('lists trust, managed policies, inline and attached statements', () => {
    expect(role.principals).toEqual(['Service: lambda.amazonaws.com']);
    expect(role.managedPolicies).toEqual(['arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']);
    expect(role.statements.map((s) => [s.source, s.actions.join(' '), s.resources.join(' ')])).toEqual([
      ['inline inline', 'kinesis:PutRecords', '${Stream.Arn}'],
      ['Attached', 's3:GetObject* s3:List*', '${Raw.Arn}/*'],
      ['Attached', '*', '*'],
    ]);
  });

  test('flags Allow statements with a wildcard in an action or resource, not Deny statements', () => {
    expect(role.statements.map((s) => s.wildcard)).toEqual([false, true, false]);
  });
});

describe('encryption', () => {
  const stores = reviewEncryption({
    s: {
      Resources: {
        Kms: { Type: 'AWS::S3::Bucket', Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['Key', 'Arn'] } }, BucketKeyEnabled: true }] } } },
        Plain: { Type: 'AWS::S3::Bucket', Properties: {} },
        Stream: { Type: 'AWS::Kinesis::Stream', Properties: {} },
        Topic: { Type: 'AWS::SNS::Topic', Properties: {} },
        Queue: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: { Ref: 'Key' } } },
        Table: { Type: 'AWS::DynamoDB::Table', Properties: { SSESpecification: { SSEEnabled: true, KMSMasterKeyId: { Ref: 'Key' } } } },
        Workgroup: { Type: 'AWS::Athena::WorkGroup', Properties: { WorkGroupConfiguration: { EnforceWorkGroupConfiguration: true, ResultConfiguration: { EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { Ref: 'Key' } } } } } },
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
      },
    },
  });
  const byId = Object.fromEntries(stores.map((s) => [s.logicalId, [s.encryption, s.flagged]]));

  test('reports each data store and ignores other resources', () => {
    expect(Object.keys(byId)).toEqual(['Kms', 'Plain', 'Stream', 'Topic', 'Queue', 'Table', 'Workgroup']);
  });

  test('names the SSE type and key', () => {
    expect(byId.Kms).toEqual(['SSE-KMS (aws:kms), key ${Key.Arn}, bucket key on', false]);
    expect(byId.Queue).toEqual(['SSE-KMS, key ${Key}', false]);
    expect(byId.Table).toEqual(['KMS, key ${Key}', false]);
    expect(byId.Workgroup).toEqual(['results SSE_KMS, key ${Key}, enforced', false]);
  });

  test('flags unencrypted or undeclared stores', () => {
    expect(byId.Plain).toEqual(['not declared (S3 applies SSE-S3 by default)', true]);
    expect(byId.Stream).toEqual(['none', true]);
    expect(byId.Topic).toEqual(['none', true]);
  });
});

describe('network exposure', () => {
  const net = reviewNetwork({
    n: {
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
        Igw: { Type: 'AWS::EC2::InternetGateway' },
        Public: { Type: 'AWS::EC2::Subnet', Properties: { CidrBlock: '10.0.0.0/24', MapPublicIpOnLaunch: true } },
        Isolated: { Type: 'AWS::EC2::Subnet', Properties: { CidrBlock: '10.0.1.0/24' } },
        PublicRt: { Type: 'AWS::EC2::RouteTable' },
        PublicAssoc: { Type: 'AWS::EC2::SubnetRouteTableAssociation', Properties: { SubnetId: { Ref: 'Public' }, RouteTableId: { Ref: 'PublicRt' } } },
        DefaultRoute: { Type: 'AWS::EC2::Route', Properties: { RouteTableId: { Ref: 'PublicRt' }, GatewayId: { Ref: 'Igw' }, DestinationCidrBlock: '0.0.0.0/0' } },
        Sg: { Type: 'AWS::EC2::SecurityGroup', Properties: { SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' }] } },
        FromPeer: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { 'Fn::GetAtt': ['Sg', 'GroupId'] }, IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, SourceSecurityGroupId: { 'Fn::GetAtt': ['Peer', 'GroupId'] } } },
      },
    },
  });

  test('finds which subnets route to the internet', () => {
    expect(net.subnets.map((s) => [s.logicalId, s.route, s.publicIpOnLaunch])).toEqual([
      ['Public', 'internet gateway', true],
      ['Isolated', 'none (isolated)', false],
    ]);
  });

  test('lists ingress and flags rules open to 0.0.0.0/0', () => {
    expect(net.ingress.map((r) => [r.group, r.rule, r.open])).toEqual([
      ['Sg', 'tcp 22 from 0.0.0.0/0', true],
      ['${Sg.GroupId}', 'tcp 8443 from sg ${Peer.GroupId}', false],
    ]);
  });
});

// The review of the real app, in both profiles, is in test/compliance.test.ts: it shares that
// suite's synth with validation.

describe('the sections on changing and destroying a deployed lake', () => {
  const change = { stack: 's', logicalId: 'Raw', type: 'AWS::S3::Bucket', kind: 'removed' as const, reason: 'its logical ID is no longer in the template', atStake: 'its objects' };
  const role = { stack: 's', logicalId: 'Role', type: 'AWS::IAM::Role', kind: 'replaced' as const, reason: 'RoleName requires replacement' };

  test('lists every replacement, flags a stateful one without acknowledgement and shows the reason of an acknowledged one', () => {
    const md = guardSection('sandbox', { changes: [change, role], findings: [change], acknowledged: [], unusedAcknowledgements: [] }).join('\n');
    expect(md).toContain('| ⚠ | s | Raw | AWS::S3::Bucket | removed | its logical ID is no longer in the template | its objects | no |');
    expect(md).toContain('|   | s | Role | AWS::IAM::Role | replaced | RoleName requires replacement | none | — |');
    const acked = guardSection('sandbox', { changes: [change], findings: [], acknowledged: [{ change, reason: 'Moved after a copy' }], unusedAcknowledgements: [] }).join('\n');
    expect(acked).toContain('|   | s | Raw | AWS::S3::Bucket | removed | its logical ID is no longer in the template | its objects | Moved after a copy |');
  });

  test('says when nothing changes, and why the comparison did not run', () => {
    expect(guardSection('sandbox', { changes: [], findings: [], acknowledged: [], unusedAcknowledgements: [] })).toContain('Nothing: the deploy replaces and removes no resource.');
    expect(guardSection('sandbox', 'synth failed')).toContain('Not compared: synth failed.');
  });

  test('lists what a destroy leaves behind, flagged outside production, and the keys pending deletion', () => {
    const templates: Templates = { s: { Resources: { Raw: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain' }, Key: { Type: 'AWS::KMS::Key', Properties: { PendingWindowInDays: 7 } } } } };
    const sandbox = destroySection('sandbox', templates);
    expect(sandbox.leftovers.map((l) => l.logicalId)).toEqual(['Raw']);
    expect(sandbox.markdown.join('\n')).toContain('| ⚠ | s | Raw | AWS::S3::Bucket | DeletionPolicy Retain | — |');
    expect(sandbox.markdown).toContain('The 1 KMS key(s) the destroy deletes stay pending deletion for 7 days first (KMS requires a 7–30 day waiting period).');
    expect(destroySection('production', templates).markdown.join('\n')).toContain('|   | s | Raw | AWS::S3::Bucket | DeletionPolicy Retain | — |');
    expect(destroySection('sandbox', { s: { Resources: {} } }).markdown).toContain('Nothing.');
  });
});
