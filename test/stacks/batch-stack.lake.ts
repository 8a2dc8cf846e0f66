// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
import { Match, Template } from 'aws-cdk-lib/assertions';
import { BatchStack } from '../../lib/stacks/batch-stack';
import { normalizedTemplate } from '../helpers';
import { lake } from '../lake-apps';
import { workflowDefinition } from '../workflow';

function batchStack(profile: string, context: Record<string, string> = {}) {
  return lake({ profile, ...context }).batch;
}

// Synthesizing the app is the slow part: one app per profile, shared by the tests.
const stacks = new Map<string, BatchStack>();
function shared(profile: string, lifecycle = 'transient'): BatchStack {
  const key = `${profile}/${lifecycle}`;
  if (!stacks.has(key)) stacks.set(key, batchStack(profile, lifecycle === 'transient' ? {} : { batchLifecycle: lifecycle })!);
  return stacks.get(key)!;
}
function template(profile: string, lifecycle = 'transient'): Template {
  return Template.fromStack(shared(profile, lifecycle));
}

describe('BatchStack', () => {
  test.each(['sandbox', 'production'])('matches the %s snapshot', (profile) => {
    expect(normalizedTemplate(shared(profile))).toMatchSnapshot();
  });

  test('matches the persistent-cluster snapshot', () => {
    expect(normalizedTemplate(shared('sandbox', 'persistent'))).toMatchSnapshot();
  });

  test('is left out with the batch switch off', () => {
    expect(batchStack('sandbox', { batch: 'false' })).toBeUndefined();
  });

  test('runs a cluster per run in both profiles: no cluster between runs', () => {
    for (const profile of ['sandbox', 'production']) {
      template(profile).resourceCountIs('AWS::EMR::Cluster', 0);
      template(profile).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    }
  });

  test('outputs what scripts/run-batch.ts reads', () => {
    const outputs = Object.keys(template('sandbox').toJSON().Outputs);
    expect(outputs).toEqual(
      expect.arrayContaining(['StateMachineArn', 'LockTableName', 'JobScriptUri', 'JobLibraryUri', 'ClusterLogUri', 'RawPaymentsUri', 'CuratedUri']),
    );
    expect(outputs).not.toContain('ClusterId');
    expect(Object.keys(template('sandbox', 'persistent').toJSON().Outputs)).toContain('ClusterId');
  });

  test('each run curates its dates with the Spark job and crawls the curated zone', () => {
    const definition = workflowDefinition(template('sandbox'));
    expect(definition.States.RunStep.Arguments.Step.HadoopJarStep.Args).toEqual([
      'spark-submit', '--deploy-mode', 'cluster',
      '--py-files', expect.stringMatching(/^s3:\/\/.*\.zip$/),
      expect.stringMatching(/^s3:\/\/.*\.py$/),
      '--raw-uri', expect.stringMatching(/\/raw\/payments$/),
      '--curated-uri', expect.stringMatching(/\/curated$/),
      '--start-date', '{% $start %}',
      '--end-date', '{% $end %}',
    ]);
    // The curated crawler of the catalog stack, by a cross-stack reference.
    expect(definition.States.StartCrawler.Arguments.Name).toMatch(/^\$\{(Output|Import):lake-catalog[.:]\w*CuratedCrawler/);
  });

  test('the sandbox has no scheduled run; production starts the workflow daily at 02:00 UTC over the two days before', () => {
    template('sandbox').resourceCountIs('AWS::Scheduler::Schedule', 0);
    template('production').hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Target: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^ClusterWorkflow') },
        Input: '{"asOf":"<aws.scheduler.scheduled-time>","lookbackDays":2}',
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      }),
    });
  });

  test('the schedule may only start the workflow', () => {
    const schedule = Object.values(template('production').findResources('AWS::Scheduler::Schedule'))[0] as any;
    const roleId = schedule.Properties.Target.RoleArn['Fn::GetAtt'][0];
    template('production').hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: { Statement: [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^ClusterWorkflow') } }] },
    });
  });

  test('sandbox: 1 core node, 1 Spot task unit at launch and up to 2, a 15-minute idle backstop, a 4-hour run limit', () => {
    const definition = workflowDefinition(template('sandbox'));
    const request = definition.States.CreateCluster.Arguments;
    const fleets = Object.fromEntries(request.Instances.InstanceFleets.map((f: any) => [f.InstanceFleetType, f]));
    expect(fleets.CORE.TargetOnDemandCapacity).toBe(1);
    expect(fleets.TASK.TargetSpotCapacity).toBe(1);
    expect(request.ManagedScalingPolicy.ComputeLimits.MaximumCapacityUnits).toBe(3);
    expect(request.AutoTerminationPolicy.IdleTimeout).toBe(900);
    expect(request.Name).toBe("{% 'lake-batch ' & $start & '..' & $end %}");
    expect(definition.TimeoutSeconds).toBe(4 * 3600);
    expect(definition.States.RunStep.TimeoutSeconds).toBe(2 * 3600);
  });

  test('production: 2 core nodes, a 2-unit Spot task launch, a 5-hour run limit with a 3-hour step', () => {
    const definition = workflowDefinition(template('production'));
    const fleets = Object.fromEntries(definition.States.CreateCluster.Arguments.Instances.InstanceFleets.map((f: any) => [f.InstanceFleetType, f]));
    expect([fleets.CORE.TargetOnDemandCapacity, fleets.TASK.TargetSpotCapacity]).toEqual([2, 2]);
    expect(definition.TimeoutSeconds).toBe(5 * 3600);
    expect(definition.States.RunStep.TimeoutSeconds).toBe(3 * 3600);
  });

  test('persistent: the long-running cluster keeps its logical id, with a 1-hour idle timeout and the same spec', () => {
    const cluster = template('sandbox', 'persistent').findResources('AWS::EMR::Cluster');
    expect(Object.keys(cluster)).toEqual([expect.stringMatching(/^Cluster3DA9CCBA$/)]);
    const props = (Object.values(cluster)[0] as any).Properties;
    expect(props.AutoTerminationPolicy.IdleTimeout).toBe(3600);
    expect(props.Instances.TerminationProtected).toBe(false);
    expect(props.Name).toBe('lake-batch');
  });

  test('persistent production: termination protection and a 2-day idle timeout, kept up by the daily run', () => {
    const props = (Object.values(template('production', 'persistent').findResources('AWS::EMR::Cluster'))[0] as any).Properties;
    expect(props.Instances.TerminationProtected).toBe(true);
    expect(props.AutoTerminationPolicy.IdleTimeout).toBe(172800);
  });
});
