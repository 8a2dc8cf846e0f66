/** Time measurement shared by the benches. */
import * as fs from 'node:fs';

/** CPU ms of this process's finished children, from /proc (Linux; 100 ticks a second); NaN elsewhere. */
export function childrenCpuMs(): number {
  try {
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10; // cutime + cstime
  } catch {
    return NaN;
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
