import { Match, Template } from 'aws-cdk-lib/assertions';
import { BatchStack } from '../../lib/stacks/batch-stack';
import { lake, normalizedTemplate } from '../helpers';

function batchStack(profile: string, context: Record<string, string> = {}) {
  const all = { profile, ...context };
  return lake(all).batch;
}

// Synthesizing the app is the slow part: one app per profile, shared by the tests.
const stacks = new Map<string, BatchStack>();
function shared(profile: string): BatchStack {
  if (!stacks.has(profile)) stacks.set(profile, batchStack(profile)!);
  return stacks.get(profile)!;
}
function template(profile: string): Template {
  return Template.fromStack(shared(profile));
}

describe('BatchStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    expect(normalizedTemplate(shared(profile))).toMatchSnapshot();
  });

  test('is left out with the batch switch off', () => {
    expect(batchStack('sandbox', { batch: 'false' })).toBeUndefined();
  });

  test('outputs what scripts/run-batch.ts reads', () => {
    const outputs = Object.keys(template('sandbox').toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining(['ClusterId', 'JobScriptUri', 'JobLibraryUri', 'ClusterLogUri', 'RawPaymentsUri', 'CuratedUri']),
    );
  });

  test('the sandbox has no scheduled run; production runs daily at 02:00 UTC', () => {
    template('sandbox').resourceCountIs('AWS::Scheduler::Schedule', 0);
    const production = template('production');
    production.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Target: Match.objectLike({
        Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:::aws-sdk:emr:addJobFlowSteps']] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      }),
    });
  });

  test('the scheduled run passes the scheduled time and the lookback to the job', () => {
    const schedule = Object.values(template('production').findResources('AWS::Scheduler::Schedule'))[0] as any;
    const input = JSON.stringify(schedule.Properties.Target.Input);
    expect(input).toContain('\\"--as-of\\",\\"<aws.scheduler.scheduled-time>\\",\\"--lookback-days\\",\\"2\\"');
    expect(input).toContain('command-runner.jar');
  });

  test('the scheduler may add steps to this cluster only', () => {
    template('production').hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'elasticmapreduce:AddJobFlowSteps',
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', Match.arrayWith([':cluster/', { Ref: Match.stringLikeRegexp('^Cluster') }])] },
          },
        ],
      },
    });
  });

  test('sandbox: 1 core node, up to 2 Spot task units, 1 h idle timeout, no termination protection', () => {
    const cluster = Object.values(template('sandbox').findResources('AWS::EMR::Cluster'))[0] as any;
    const p = cluster.Properties;
    expect(p.Instances.CoreInstanceFleet.TargetOnDemandCapacity).toBe(1);
    expect(p.ManagedScalingPolicy.ComputeLimits.MaximumCapacityUnits).toBe(3);
    expect(p.AutoTerminationPolicy.IdleTimeout).toBe(3600);
    expect(p.Instances.TerminationProtected).toBe(false);
    expect(p.Name).toBe('lake-batch');
  });

  test('production: termination protection and a 2-day idle timeout', () => {
    const cluster = Object.values(template('production').findResources('AWS::EMR::Cluster'))[0] as any;
    expect(cluster.Properties.Instances.TerminationProtected).toBe(true);
    expect(cluster.Properties.AutoTerminationPolicy.IdleTimeout).toBe(172800);
  });
});
