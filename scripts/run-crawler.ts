/**
 * Runs one of the lake's Glue crawlers and reports the tables it created or updated.
 *
 *   npx tsx scripts/run-crawler.ts --zone raw
 *   npm run crawl -- --zone curated --timeout 1200
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GlueClient } from '@aws-sdk/client-glue';
import { parseArgs } from 'node:util';
import { positiveSeconds } from './lib/cli-args';
import { formatCrawlOutcome, runCrawler } from './lib/crawler';
import { stackName, stackOutputs } from './lib/stack-outputs';

export const CRAWL_USAGE = `Usage: npm run crawl -- (--zone raw|curated | --crawler <name>) [options]

Starts a lake crawler, or waits for the crawl already running, and prints the
tables it created or updated. Names come from the <prefix>-catalog stack outputs.

Options:
  --zone raw|curated   crawl the raw or the curated zone
  --crawler <name>     crawl this crawler instead
  --prefix <prefix>    stack-name prefix (default: lake)
  --timeout <seconds>  stop waiting after this long (default: 900); the crawl continues
  --poll <seconds>     seconds between status checks (default: 15)
  --help               show this help`;

export interface CrawlArgs {
  readonly zone?: 'raw' | 'curated';
  readonly crawler?: string;
  readonly prefix: string;
  readonly timeoutSeconds: number;
  readonly pollSeconds: number;
  readonly help: boolean;
}

/** Parses the command line; throws an Error with a usage message for bad input. */
export function parseCrawlArgs(argv: string[]): CrawlArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      zone: { type: 'string' },
      crawler: { type: 'string' },
      prefix: { type: 'string', default: 'lake' },
      timeout: { type: 'string', default: '900' },
      poll: { type: 'string', default: '15' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return { prefix: values.prefix, timeoutSeconds: 0, pollSeconds: 0, help: true };
  if ((values.zone === undefined) === (values.crawler === undefined)) {
    throw new Error('Give exactly one of --zone raw|curated or --crawler <name>.');
  }
  if (values.zone !== undefined && values.zone !== 'raw' && values.zone !== 'curated') {
    throw new Error(`--zone must be raw or curated, got "${values.zone}".`);
  }
  return {
    zone: values.zone as CrawlArgs['zone'],
    crawler: values.crawler,
    prefix: values.prefix,
    timeoutSeconds: positiveSeconds('--timeout', values.timeout),
    pollSeconds: positiveSeconds('--poll', values.poll),
    help: false,
  };
}

export interface CrawlDeps {
  readonly glue: GlueClient;
  readonly cfn: CloudFormationClient;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Runs the CLI; resolves to the process exit code. */
export async function crawlMain(argv: string[], deps: CrawlDeps): Promise<number> {
  let args: CrawlArgs;
  try {
    args = parseCrawlArgs(argv);
  } catch (e) {
    deps.err(`${(e as Error).message}\n\n${CRAWL_USAGE}`);
    return 2;
  }
  if (args.help) {
    deps.out(CRAWL_USAGE);
    return 0;
  }
  try {
    const outputs = await stackOutputs(deps.cfn, stackName(args.prefix, 'catalog'));
    const output = args.zone === 'raw' ? 'RawCrawlerName' : 'CuratedCrawlerName';
    const crawlerName = args.crawler ?? outputs[output];
    const databaseName = outputs.DatabaseName;
    if (!crawlerName || !databaseName) {
      throw new Error(`Stack ${stackName(args.prefix, 'catalog')} lacks the ${args.crawler ? 'DatabaseName' : `${output} or DatabaseName`} output.`);
    }
    const outcome = await runCrawler({
      glue: deps.glue,
      crawlerName,
      databaseName,
      tablePrefix: args.zone ? `${args.zone}_` : undefined,
      timeoutMs: args.timeoutSeconds * 1000,
      pollMs: args.pollSeconds * 1000,
      sleep: deps.sleep,
      now: deps.now,
      log: deps.err,
    });
    deps.out(formatCrawlOutcome(outcome));
    return 0;
  } catch (e) {
    deps.err(`Error: ${(e as Error).message}`);
    return 1;
  }
}

if (require.main === module) {
  crawlMain(process.argv.slice(2), {
    glue: new GlueClient({}),
    cfn: new CloudFormationClient({}),
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  }).then((code) => process.exit(code));
}
