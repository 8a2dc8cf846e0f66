/**
 * Runs SQL, or one of the workgroup's named queries, in the lake's Athena workgroup.
 *
 *   npm run query -- --named daily_volume_and_amount
 *   npm run query -- --sql "SELECT count(*) FROM raw_payments" --format csv
 *
 * Results go to stdout; progress, data scanned and cost go to stderr. Ctrl-C stops the query.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { parseArgs } from 'node:util';
import {
  findNamedQuery,
  formatCost,
  InterruptSource,
  QueryCancelledError,
  QueryFailedError,
  runQuery,
} from './lib/athena-query';
import { positiveSeconds } from './lib/cli-args';
import { formatResults, RESULT_FORMATS, ResultFormat } from './lib/result-format';
import { stackName, stackOutputs } from './lib/stack-outputs';

export const QUERY_USAGE = `Usage: npm run query -- (--sql <sql> | --named <name>) [options]

Runs a query in the lake's Athena workgroup and prints the results. Workgroup and
database names come from the <prefix>-catalog stack outputs.

Options:
  --sql <sql>              the SQL to run
  --named <name>           run this named query of the workgroup
  --format table|csv|json  result format (default: table)
  --max-rows <n>           stop after this many rows (default: 1000)
  --database <name>        database (default: the DatabaseName output)
  --prefix <prefix>        stack-name prefix (default: lake)
  --timeout <seconds>      stop the query after this long (default: 600)
  --poll <seconds>         seconds between status checks (default: 1)
  --help                   show this help

Ctrl-C stops the running query (exit code 130).`;

export interface QueryArgs {
  readonly sql?: string;
  readonly named?: string;
  readonly format: ResultFormat;
  readonly maxRows: number;
  readonly database?: string;
  readonly prefix: string;
  readonly timeoutSeconds: number;
  readonly pollSeconds: number;
  readonly help: boolean;
}

export function parseQueryArgs(argv: string[]): QueryArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      sql: { type: 'string' },
      named: { type: 'string' },
      format: { type: 'string', default: 'table' },
      'max-rows': { type: 'string', default: '1000' },
      database: { type: 'string' },
      prefix: { type: 'string', default: 'lake' },
      timeout: { type: 'string', default: '600' },
      poll: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const base = { format: 'table' as ResultFormat, maxRows: 0, prefix: values.prefix, timeoutSeconds: 0, pollSeconds: 0 };
  if (values.help) return { ...base, help: true };
  if ((values.sql === undefined) === (values.named === undefined)) {
    throw new Error('Give exactly one of --sql <sql> or --named <name>.');
  }
  if (!(RESULT_FORMATS as readonly string[]).includes(values.format)) {
    throw new Error(`--format must be one of ${RESULT_FORMATS.join(', ')}, got "${values.format}".`);
  }
  const maxRows = Number(values['max-rows']);
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new Error(`--max-rows must be a whole number ≥ 1, got "${values['max-rows']}".`);
  return {
    sql: values.sql,
    named: values.named,
    format: values.format as ResultFormat,
    maxRows,
    database: values.database,
    prefix: values.prefix,
    timeoutSeconds: positiveSeconds('--timeout', values.timeout),
    pollSeconds: positiveSeconds('--poll', values.poll),
    help: false,
  };
}

export interface QueryDeps {
  readonly athena: AthenaClient;
  readonly cfn: CloudFormationClient;
  readonly out: (text: string) => void;
  readonly err: (line: string) => void;
  readonly interrupts?: InterruptSource;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Exit codes: 0 done, 1 failed or timed out, 2 bad arguments, 130 interrupted (Ctrl-C). */
export async function queryMain(argv: string[], deps: QueryDeps): Promise<number> {
  let args: QueryArgs;
  try {
    args = parseQueryArgs(argv);
  } catch (e) {
    deps.err(`${(e as Error).message}\n\n${QUERY_USAGE}`);
    return 2;
  }
  if (args.help) {
    deps.out(QUERY_USAGE);
    return 0;
  }
  try {
    const stack = stackName(args.prefix, 'catalog');
    const outputs = await stackOutputs(deps.cfn, stack);
    const workGroup = outputs.WorkgroupName;
    if (!workGroup) throw new Error(`Stack ${stack} has no WorkgroupName output.`);
    let sql = args.sql ?? '';
    let database = args.database ?? outputs.DatabaseName;
    if (args.named) {
      const named = await findNamedQuery(deps.athena, workGroup, args.named);
      sql = named.QueryString ?? '';
      database = args.database ?? named.Database ?? database;
      deps.err(`Named query ${args.named}: ${named.Description ?? ''}`.trimEnd());
    }
    if (!database) throw new Error(`Stack ${stack} has no DatabaseName output; pass --database.`);

    const result = await runQuery({
      athena: deps.athena,
      workGroup,
      database,
      sql,
      pollMs: args.pollSeconds * 1000,
      timeoutMs: args.timeoutSeconds * 1000,
      maxRows: args.maxRows,
      interrupts: deps.interrupts,
      sleep: deps.sleep,
      now: deps.now,
      log: deps.err,
    });
    deps.out(formatResults(args.format, result.columns, result.rows));
    deps.err(`${result.rows.length} row(s)${result.truncated ? ` (stopped at --max-rows ${args.maxRows})` : ''} in ${(result.engineMs / 1000).toFixed(1)} s.`);
    deps.err(formatCost(result.dataScannedBytes, result.statementType));
    return 0;
  } catch (e) {
    if (e instanceof QueryCancelledError) {
      deps.err(e.message);
      deps.err(formatCost(e.dataScannedBytes));
      return e.interrupted ? 130 : 1;
    }
    deps.err(`Error: ${(e as Error).message}`);
    if (e instanceof QueryFailedError) deps.err('Failed queries are not charged.');
    return 1;
  }
}

if (require.main === module) {
  queryMain(process.argv.slice(2), {
    athena: new AthenaClient({}),
    cfn: new CloudFormationClient({}),
    out: (text) => console.log(text),
    err: (line) => console.error(line),
    interrupts: process,
  }).then((code) => process.exit(code));
}
