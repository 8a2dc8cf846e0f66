/**
 * Runs a Glue crawler to completion: starts it (or joins a crawl already running),
 * polls with progress, and reports what the crawl changed in the catalog.
 */
import {
  CrawlerRunningException,
  GetCrawlerCommand,
  GetCrawlerMetricsCommand,
  GetTablesCommand,
  GlueClient,
  StartCrawlerCommand,
  Table,
} from '@aws-sdk/client-glue';
import { sleep as defaultSleep } from './cli-args';

export interface RunCrawlerOptions {
  readonly glue: GlueClient;
  readonly crawlerName: string;
  /** Database whose tables are listed after the crawl. */
  readonly databaseName: string;
  /** Only list tables whose names start with this, e.g. `raw_`. */
  readonly tablePrefix?: string;
  /** Give up waiting after this long (the crawl itself keeps running in AWS). */
  readonly timeoutMs: number;
  readonly pollMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface CrawlTable {
  readonly name: string;
  /** `created` or `updated` by this crawl, else `unchanged`. */
  readonly change: 'created' | 'updated' | 'unchanged';
  readonly columns: number;
  readonly partitionKeys: string[];
  readonly location?: string;
}

export interface CrawlOutcome {
  readonly crawlerName: string;
  /** False when the crawler was already running and this run only waited for it. */
  readonly started: boolean;
  readonly tablesCreated: number;
  readonly tablesUpdated: number;
  readonly tablesDeleted: number;
  readonly tables: CrawlTable[];
}

export async function runCrawler(o: RunCrawlerOptions): Promise<CrawlOutcome> {
  const sleep = o.sleep ?? defaultSleep;
  const now = o.now ?? Date.now;
  const log = o.log ?? (() => undefined);
  const begin = now();

  let started = true;
  try {
    await o.glue.send(new StartCrawlerCommand({ Name: o.crawlerName }));
    log(`Started crawler ${o.crawlerName}.`);
  } catch (err) {
    if (!(err instanceof CrawlerRunningException) && (err as Error).name !== 'CrawlerRunningException') throw err;
    started = false;
    log(`Crawler ${o.crawlerName} is already running; waiting for that crawl.`);
  }

  // Right after StartCrawler the crawler may still report READY with the previous crawl,
  // so a crawl counts as finished once it has been seen running, or once its last crawl
  // began after this run started it.
  let sawRunning = !started;
  let crawlStart: Date | undefined;
  for (;;) {
    const { Crawler: crawler } = await o.glue.send(new GetCrawlerCommand({ Name: o.crawlerName }));
    const state = crawler?.State ?? 'UNKNOWN';
    const elapsed = Math.round((now() - begin) / 1000);
    if (state === 'RUNNING' || state === 'STOPPING') {
      sawRunning = true;
      log(`  ${state.toLowerCase()} (${elapsed} s)`);
    } else if (state === 'READY' && (sawRunning || (crawler?.LastCrawl?.StartTime?.getTime() ?? 0) >= begin)) {
      const last = crawler?.LastCrawl;
      crawlStart = last?.StartTime;
      if (last?.Status === 'FAILED') {
        const logs = last.LogGroup ? ` Logs: ${last.LogGroup} ${last.LogStream ?? ''}`.trimEnd() : '';
        throw new Error(`Crawler ${o.crawlerName} failed: ${last.ErrorMessage ?? 'no error message'}.${logs}`);
      }
      if (last?.Status === 'CANCELLED') throw new Error(`Crawler ${o.crawlerName} was cancelled.`);
      log(`Crawl finished after ${elapsed} s.`);
      break;
    } else {
      log(`  ${state.toLowerCase()} (${elapsed} s)`);
    }
    if (now() - begin >= o.timeoutMs) {
      throw new Error(
        `Timed out after ${Math.round(o.timeoutMs / 1000)} s waiting for crawler ${o.crawlerName} (state ${state}); the crawl continues in AWS.`,
      );
    }
    await sleep(o.pollMs);
  }

  const { CrawlerMetricsList: metrics } = await o.glue.send(new GetCrawlerMetricsCommand({ CrawlerNameList: [o.crawlerName] }));
  const m = metrics?.[0];
  const tables = await listTables(o.glue, o.databaseName, o.tablePrefix);
  return {
    crawlerName: o.crawlerName,
    started,
    tablesCreated: m?.TablesCreated ?? 0,
    tablesUpdated: m?.TablesUpdated ?? 0,
    tablesDeleted: m?.TablesDeleted ?? 0,
    tables: tables.map((t) => describeTable(t, crawlStart)),
  };
}

async function listTables(glue: GlueClient, databaseName: string, prefix?: string): Promise<Table[]> {
  const tables: Table[] = [];
  let token: string | undefined;
  do {
    const page = await glue.send(
      new GetTablesCommand({ DatabaseName: databaseName, NextToken: token, Expression: prefix ? `${prefix}.*` : undefined }),
    );
    tables.push(...(page.TableList ?? []));
    token = page.NextToken;
  } while (token);
  return tables;
}

function describeTable(t: Table, crawlStart?: Date): CrawlTable {
  const since = (d?: Date) => crawlStart !== undefined && d !== undefined && d.getTime() >= crawlStart.getTime();
  return {
    name: t.Name ?? '?',
    change: since(t.CreateTime) ? 'created' : since(t.UpdateTime) ? 'updated' : 'unchanged',
    columns: t.StorageDescriptor?.Columns?.length ?? 0,
    partitionKeys: (t.PartitionKeys ?? []).map((k) => k.Name ?? '?'),
    location: t.StorageDescriptor?.Location,
  };
}

/** Human-readable summary of a crawl. */
export function formatCrawlOutcome(o: CrawlOutcome): string {
  const lines = [
    `Crawler ${o.crawlerName}: ${o.tablesCreated} table(s) created, ${o.tablesUpdated} updated, ${o.tablesDeleted} deleted.`,
  ];
  if (o.tables.length === 0) lines.push('No tables yet: is there data under the crawler\'s paths?');
  for (const t of o.tables) {
    const partitions = t.partitionKeys.length > 0 ? `, partitioned by ${t.partitionKeys.join(', ')}` : '';
    lines.push(`  ${t.name} (${t.change}): ${t.columns} columns${partitions}${t.location ? ` at ${t.location}` : ''}`);
  }
  return lines.join('\n');
}
