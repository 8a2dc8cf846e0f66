import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { stackName, stackOutput, stackOutputs } from '../../scripts/lib/stack-outputs';

const cfn = mockClient(CloudFormationClient);
beforeEach(() => cfn.reset());

describe('stack outputs', () => {
  test('names stacks as the app does', () => {
    expect(stackName('lake', 'ingestion')).toBe('lake-ingestion');
  });

  test('reads outputs into a map', async () => {
    cfn.on(DescribeStacksCommand, { StackName: 'lake-ingestion' }).resolves({
      Stacks: [
        {
          StackName: 'lake-ingestion',
          CreationTime: new Date(),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'StreamName', OutputValue: 'lake-stream' }],
        },
      ],
    });
    await expect(stackOutputs(new CloudFormationClient({}), 'lake-ingestion')).resolves.toEqual({ StreamName: 'lake-stream' });
    await expect(stackOutput(new CloudFormationClient({}), 'lake-ingestion', 'StreamName')).resolves.toBe('lake-stream');
  });

  test('a missing output names the stack, the key and what exists', async () => {
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'lake-ingestion', CreationTime: new Date(), StackStatus: 'CREATE_COMPLETE', Outputs: [{ OutputKey: 'A', OutputValue: '1' }] }],
    });
    await expect(stackOutput(new CloudFormationClient({}), 'lake-ingestion', 'StreamName')).rejects.toThrow(
      'Stack lake-ingestion has no output StreamName (it has: A)',
    );
  });

  test('a missing stack says how to deploy it', async () => {
    const err = Object.assign(new Error('Stack with id lake-batch does not exist'), { name: 'ValidationError' });
    cfn.on(DescribeStacksCommand).rejects(err);
    await expect(stackOutputs(new CloudFormationClient({}), 'lake-batch')).rejects.toThrow(
      'Stack lake-batch is not deployed. Deploy it with: npx cdk deploy Batch (with the same -c prefix=… and -c profile=… as the rest of the lake)',
    );
  });
});
