// Part of test/lake.test.ts, which runs every test that builds the whole lake in one Jest module registry.
/**
 * Cross-stack references are strong: every consumer imports an export of its
 * producer (Fn::ImportValue), none reads an output through Fn::GetStackOutput,
 * which CloudFormation resolves only while it executes a change set and so plans
 * replacements for (aws/aws-cdk#38829). Why: docs/changing-a-deployed-lake.md.
 */
import { PROFILES } from '../lib/config';
import { Json } from '../lib/cost/estimate';
import { crossStackTarget } from '../lib/review/cross-stack';
import { cdkJsonContext } from './helpers';
import { lakeTemplates } from './lake-apps';

/** Every value of `intrinsic` in a template, e.g. every `Fn::ImportValue` argument. */
function uses(template: Json, intrinsic: string): Json[] {
  const found: Json[] = [];
  JSON.stringify(template, (key, value) => {
    if (key === intrinsic) found.push(value);
    return value;
  });
  return found;
}

test('cdk.json sets strong cross-stack references', () => {
  expect(cdkJsonContext()['@aws-cdk/core:defaultCrossStackReferences']).toBe('strong');
});

describe.each(PROFILES)('the %s app', (profile) => {
  const templates = () => lakeTemplates(profile);

  test('reads no other stack through Fn::GetStackOutput', () => {
    for (const [stack, template] of Object.entries(templates())) expect([stack, uses(template, 'Fn::GetStackOutput')]).toEqual([stack, []]);
  });

  test('imports only exports of its own other stacks, in every consuming stack', () => {
    const consumers = new Set<string>();
    for (const [stack, template] of Object.entries(templates())) {
      for (const exportName of uses(template, 'Fn::ImportValue')) {
        const target = crossStackTarget({ 'Fn::ImportValue': exportName }, templates());
        expect([exportName, target?.strength, target?.stack === stack]).toEqual([exportName, 'strong', false]);
        consumers.add(stack);
      }
    }
    // Every stack but storage consumes something, so an empty result would mean the test saw no references.
    expect([...consumers].sort()).toEqual(Object.keys(templates()).filter((s) => s !== 'lake-storage').sort());
  });
});
