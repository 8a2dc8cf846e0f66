/**
 * Cross-stack references in synthesized templates, in either form the CDK
 * writes: strong (`Fn::ImportValue` of an exported output) or weak
 * (`Fn::GetStackOutput`). Both are followed to the producer's output value.
 */
import type { Json, Templates } from '../cost/estimate';

export interface CrossStackTarget {
  /** The producing stack's name. */
  readonly stack: string;
  /** The output's value in the producing stack's template, e.g. `{ "Fn::GetAtt": ["Raw", "Arn"] }`. */
  readonly value: Json;
  readonly strength: 'strong' | 'weak';
}

/** The producer's output behind a cross-stack reference, or undefined when `value` is not one (or its producer is not in `templates`). */
export function crossStackTarget(value: Json, templates: Templates): CrossStackTarget | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const weak = value['Fn::GetStackOutput'];
  if (weak && typeof weak.StackName === 'string') {
    const output = templates[weak.StackName]?.Outputs?.[weak.OutputName];
    return output ? { stack: weak.StackName, value: output.Value, strength: 'weak' } : undefined;
  }
  const exportName = value['Fn::ImportValue'];
  if (typeof exportName === 'string') {
    for (const [stack, template] of Object.entries(templates)) {
      const output = Object.values(template.Outputs ?? {}).find((o) => o.Export?.Name === exportName);
      if (output) return { stack, value: output.Value, strength: 'strong' };
    }
  }
  return undefined;
}
