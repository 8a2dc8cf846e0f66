/**
 * Test helpers for the batch workflow: its definition as JSON, and a small interpreter of
 * JSONata states that runs it against mocked task results. The interpreter evaluates the
 * definition's own JSONata expressions (jsonata 2.0.6, the version Step Functions supports:
 * https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html), so a wrong
 * expression fails a test instead of a deployed run.
 *
 * Semantics kept: Assign (evaluated with the variables as they were when the state was
 * entered, applied when it exits), Output, Arguments, Catch with ErrorEquals (States.ALL,
 * States.TaskFailed) and Assign with $states.errorOutput, Choice rules with Assign, Default,
 * Pass, Wait, Succeed and Fail. Retries are not simulated: a mocked error is the error after
 * the retriers gave up.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import jsonata from 'jsonata';
import { BatchCluster, BatchClusterProps } from '../lib/constructs/batch-cluster';

export type Json = any;

/** A BatchCluster in a one-AZ isolated VPC, with a curation-like step and a crawler. */
export function newBatchCluster(stack: Stack, overrides: Partial<BatchClusterProps> = {}): BatchCluster {
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 1,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  return new BatchCluster(stack, 'Batch', {
    vpc,
    key: new kms.Key(stack, 'Key'),
    rawBucket: new s3.Bucket(stack, 'Raw'),
    curatedBucket: new s3.Bucket(stack, 'Curated'),
    logBucket: new s3.Bucket(stack, 'Logs'),
    databaseName: 'lake_lake',
    step: { name: 'curate', args: (d) => ['spark-submit', 's3://code/job.py', '--start-date', d.start, '--end-date', d.end] },
    crawlerName: 'curated-crawler',
    ...overrides,
  });
}

/** The state machine's definition; references become `${Ref:Id}` / `${Id.Attr}` text. */
export function workflowDefinition(template: Template): Json {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const def = machines[0].Properties.DefinitionString;
  if (typeof def === 'string') return JSON.parse(def);
  return JSON.parse((def['Fn::Join'][1] as Json[]).map(reference).join(''));
}

/** A reference joined into the definition, as readable text. */
function reference(p: Json): string {
  if (typeof p === 'string') return p;
  if (p.Ref) return `\${Ref:${p.Ref}}`;
  if (p['Fn::GetAtt']) return `\${${p['Fn::GetAtt'].join('.')}}`;
  if (typeof p['Fn::Sub'] === 'string') return p['Fn::Sub'];
  if (p['Fn::GetStackOutput']) return `\${Output:${p['Fn::GetStackOutput'].StackName}.${p['Fn::GetStackOutput'].OutputName}}`;
  if (p['Fn::ImportValue']) return `\${Import:${JSON.stringify(p['Fn::ImportValue']).replace(/"/g, '')}}`;
  throw new Error(`unexpected reference in the definition: ${JSON.stringify(p)}`);
}

/** A task's mocked outcome: a result, or an error after the retriers gave up. */
export type TaskOutcome = { readonly result: Json } | { readonly error: string; readonly cause: string };

/** Outcomes by state name; an array is consumed one per entry, the last one repeating. */
export type TaskMocks = Record<string, TaskOutcome | TaskOutcome[]>;

export interface Visit {
  readonly state: string;
  /** The task's evaluated Arguments. */
  readonly args?: Json;
}

export interface Execution {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly visits: Visit[];
  /** State names in the order they were entered. */
  readonly path: string[];
  readonly error?: string;
  readonly cause?: string;
  readonly output?: Json;
  readonly variables: Record<string, Json>;
}

export const EXECUTION = {
  Id: 'arn:aws:states:us-east-1:111111111111:execution:Workflow:2026-11-01_2026-11-02_20261130T101500Z',
  Name: '2026-11-01_2026-11-02_20261130T101500Z',
  StartTime: '2026-11-30T10:15:00.123Z',
};

const EXPRESSION = /^\{%([\s\S]*)%\}$/;

async function evaluate(value: Json, bindings: Record<string, Json>): Promise<Json> {
  if (typeof value === 'string') {
    const m = EXPRESSION.exec(value);
    return m ? jsonata(m[1]).evaluate({}, bindings) : value;
  }
  if (Array.isArray(value)) return Promise.all(value.map((v) => evaluate(v, bindings)));
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await evaluate(v, bindings);
    return out;
  }
  return value;
}

function matches(errorEquals: string[], error: string): boolean {
  return errorEquals.includes(error) || errorEquals.includes('States.ALL') || (errorEquals.includes('States.TaskFailed') && error !== 'States.Timeout');
}

/** Runs the definition from StartAt with `input`, answering tasks from `mocks`. */
export async function simulate(definition: Json, input: Json, mocks: TaskMocks = {}, maxStates = 500): Promise<Execution> {
  const variables: Record<string, Json> = {};
  const visits: Visit[] = [];
  const used: Record<string, number> = {};
  let name: string = definition.StartAt;
  let stateInput = input;
  const context = { Execution: { ...EXECUTION, Input: input } };
  const bindings = (extra: Record<string, Json>) => ({ ...variables, states: { input: stateInput, context, ...extra } });
  const assign = async (spec: Json, extra: Record<string, Json>) => {
    if (!spec) return;
    const values = await evaluate(spec, bindings(extra));
    Object.assign(variables, values);
  };
  const done = (status: Execution['status'], rest: Partial<Execution>): Execution => ({ status, visits, path: visits.map((v) => v.state), variables, ...rest });

  for (let n = 0; n < maxStates; n++) {
    const state = definition.States[name];
    if (!state) throw new Error(`no state ${name}`);
    switch (state.Type) {
      case 'Pass': {
        visits.push({ state: name });
        await assign(state.Assign, {});
        stateInput = state.Output === undefined ? stateInput : await evaluate(state.Output, bindings({}));
        name = state.Next;
        break;
      }
      case 'Wait':
        visits.push({ state: name });
        name = state.Next;
        break;
      case 'Choice': {
        visits.push({ state: name });
        let next: string | undefined;
        for (const rule of state.Choices) {
          if (await evaluate(rule.Condition, bindings({}))) {
            await assign(rule.Assign, {});
            next = rule.Next;
            break;
          }
        }
        next ??= state.Default;
        if (!next) return done('FAILED', { error: 'States.NoChoiceMatched', cause: name });
        name = next;
        break;
      }
      case 'Task': {
        const args = await evaluate(state.Arguments, bindings({}));
        visits.push({ state: name, args });
        const mock = mocks[name];
        const list = Array.isArray(mock) ? mock : [mock ?? { result: {} }];
        const outcome = list[Math.min(used[name] ?? 0, list.length - 1)];
        used[name] = (used[name] ?? 0) + 1;
        if ('error' in outcome) {
          const errorOutput = { Error: outcome.error, Cause: outcome.cause };
          const catcher = (state.Catch ?? []).find((c: Json) => matches(c.ErrorEquals, outcome.error));
          if (!catcher) return done('FAILED', { error: outcome.error, cause: outcome.cause });
          await assign(catcher.Assign, { errorOutput });
          stateInput = catcher.Output === undefined ? errorOutput : await evaluate(catcher.Output, bindings({ errorOutput }));
          name = catcher.Next;
          break;
        }
        await assign(state.Assign, { result: outcome.result });
        stateInput = state.Output === undefined ? outcome.result : await evaluate(state.Output, bindings({ result: outcome.result }));
        if (state.End) return done('SUCCEEDED', { output: stateInput });
        name = state.Next;
        break;
      }
      case 'Succeed':
        visits.push({ state: name });
        return done('SUCCEEDED', { output: state.Output === undefined ? stateInput : await evaluate(state.Output, bindings({})) });
      case 'Fail':
        visits.push({ state: name });
        return done('FAILED', { error: await evaluate(state.Error, bindings({})), cause: await evaluate(state.Cause, bindings({})) });
      default:
        throw new Error(`state type ${state.Type} is not simulated`);
    }
  }
  throw new Error(`more than ${maxStates} states: a loop that never ends`);
}

/** States reachable from `from` by Next, Default, Choices and Catch. */
export function reachable(definition: Json, from: string): Set<string> {
  const seen = new Set<string>();
  const visit = (name: string | undefined) => {
    if (!name || seen.has(name)) return;
    seen.add(name);
    const s = definition.States[name];
    visit(s.Next);
    visit(s.Default);
    for (const c of s.Choices ?? []) visit(c.Next);
    for (const c of s.Catch ?? []) visit(c.Next);
  };
  visit(from);
  return seen;
}
