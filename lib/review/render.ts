/** CloudFormation values as text, for reports and messages. */
import type { Json, Templates } from '../cost/estimate';
import { crossStackTarget } from './cross-stack';

/** A value, or each value of a list, as a list. */
export const list = (x: Json): Json[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/**
 * A CloudFormation value as readable text: `${Key.Arn}`, `import(Name)`, joined
 * strings. A cross-stack reference (`Fn::ImportValue` or `Fn::GetStackOutput`) is
 * followed into the other stack's outputs when its template is given:
 * `${lake-storage/Raw.Arn}`.
 */
export function render(value: Json, templates?: Templates): string {
  const r = (v: Json) => render(v, templates);
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return value.map(r).join(', ');
  const target = templates ? crossStackTarget(value, templates) : undefined;
  if (target) return r(target.value).replace(/\$\{/g, `\${${target.stack}/`);
  if ('Fn::GetStackOutput' in value) {
    const { StackName: stack, OutputName: name } = value['Fn::GetStackOutput'];
    return `\${${stack}:${name}}`;
  }
  if ('Ref' in value) return `\${${value.Ref}}`;
  if ('Fn::GetAtt' in value) return `\${${list(value['Fn::GetAtt']).join('.')}}`;
  if ('Fn::ImportValue' in value) return `import(${r(value['Fn::ImportValue'])})`;
  if ('Fn::Join' in value) {
    const [sep, parts] = value['Fn::Join'];
    return list(parts).map(r).join(sep);
  }
  if ('Fn::Sub' in value) return r(list(value['Fn::Sub'])[0]);
  if ('Fn::Select' in value) return `select(${r(value['Fn::Select'][0])}, ${r(value['Fn::Select'][1])})`;
  if ('Fn::If' in value) return `if(${r(value['Fn::If'])})`;
  return JSON.stringify(value);
}
