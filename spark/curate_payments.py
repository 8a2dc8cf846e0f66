"""Curates raw payment events for a date range into Parquet batch views.

    spark-submit --py-files payments_logic.zip curate_payments.py \
        --raw-uri s3://<raw bucket>/raw/payments --curated-uri s3://<curated bucket>/curated \
        --start-date 2026-11-01 --end-date 2026-11-02
    (or --as-of <ISO time> --lookback-days N for scheduled runs: the N days before as-of)

Reads only the raw partitions of the range (raw/payments/event_date=YYYY-MM-DD/), drops
duplicate deliveries (same event_id: the earliest ingested_at wins), casts the types and
writes:
  <curated-uri>/payments/event_date=YYYY-MM-DD/*.parquet        deduplicated, typed events
  <curated-uri>/merchant_daily/event_date=YYYY-MM-DD/*.parquet  per-merchant daily view
With dynamic partition overwrite only the dates in the range are replaced, so a rerun gives
the same result. Lines that cannot be parsed are counted and reported, never written; the
raw zone keeps them.

The row logic is payments_logic (plain Python, unit-tested); this file only wires it into Spark.
"""

import argparse
import sys

import payments_logic as logic

MAX_REJECTS_SHOWN = 20


def schemas():
    """The curated and merchant-daily schemas (pyspark is imported only on the cluster)."""
    from pyspark.sql.types import (
        BooleanType,
        DecimalType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    curated = StructType(
        [
            StructField("event_id", StringType(), False),
            StructField("event_time", TimestampType(), False),
            StructField("customer_id", StringType(), False),
            StructField("merchant_id", StringType(), False),
            StructField("merchant_category", StringType(), False),
            StructField("amount", DecimalType(18, 2), False),
            StructField("currency", StringType(), False),
            StructField("country", StringType(), False),
            StructField("channel", StringType(), False),
            StructField("is_fraud", BooleanType(), True),
            StructField("ingested_at", TimestampType(), False),
            StructField("event_date", StringType(), False),
        ]
    )
    merchant_daily = StructType(
        [
            StructField("merchant_id", StringType(), False),
            StructField("merchant_category", StringType(), False),
            StructField("event_count", LongType(), False),
            StructField("total_amount", DecimalType(18, 2), False),
            StructField("fraud_count", LongType(), False),
            StructField("fraud_rate", DoubleType(), False),
            StructField("event_date", StringType(), False),
        ]
    )
    return curated, merchant_daily


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="curate_payments.py", description=__doc__.split("\n")[0])
    parser.add_argument("--raw-uri", required=True, help="s3://<raw bucket>/raw/payments")
    parser.add_argument("--curated-uri", required=True, help="s3://<curated bucket>/curated")
    parser.add_argument("--start-date", help="first event date, YYYY-MM-DD")
    parser.add_argument("--end-date", help="last event date, YYYY-MM-DD (inclusive)")
    parser.add_argument("--as-of", help="ISO-8601 time; with --lookback-days, process the days before it")
    parser.add_argument("--lookback-days", type=int, default=2)
    args = parser.parse_args(argv)
    try:
        if args.as_of:
            args.dates = logic.dates_for_run(args.as_of, args.lookback_days)
        elif args.start_date and args.end_date:
            args.dates = logic.date_range(args.start_date, args.end_date)
        else:
            parser.error("give --start-date and --end-date, or --as-of")
    except ValueError as err:
        parser.error(str(err))
    return args


def existing_paths(spark, paths):
    """The partition paths that exist; a day without events has no raw partition."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    found = []
    for path in paths:
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        if hadoop_path.getFileSystem(conf).exists(hadoop_path):
            found.append(path)
    return found


def main(argv):
    args = parse_args(argv)
    from pyspark.sql import SparkSession

    curated_schema, merchant_daily_schema = schemas()
    spark = (
        SparkSession.builder.appName(f"curate-payments {args.dates[0]}..{args.dates[-1]}")
        .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    paths = existing_paths(spark, [logic.partition_path(args.raw_uri, d) for d in args.dates])
    print(f"dates {args.dates[0]}..{args.dates[-1]}: {len(paths)} of {len(args.dates)} raw partitions exist")
    if not paths:
        spark.stop()
        return 0

    parsed = spark.sparkContext.textFile(",".join(paths)).mapPartitions(logic.parse_lines).cache()
    rejected = parsed.filter(lambda r: r[0] == "rejected")
    rejected_count = rejected.count()
    if rejected_count:
        print(f"{rejected_count} raw lines could not be curated (they stay in the raw zone); first reasons:")
        for _, reason, line in rejected.take(MAX_REJECTS_SHOWN):
            print(f"  {reason}: {line[:200]}")

    wanted = set(args.dates)
    rows = (
        parsed.filter(lambda r: r[0] == "ok")
        .map(lambda r: (r[1]["event_id"], r[1]))
        .reduceByKey(logic.prefer)
        .values()
        # A raw partition holds events of its own date only; keep the range exact anyway.
        .filter(lambda row: row["event_date"] in wanted)
        .cache()
    )

    curated = spark.createDataFrame(rows.map(logic.to_curated_tuple), curated_schema)
    curated.write.mode("overwrite").partitionBy("event_date").parquet(f"{args.curated_uri.rstrip('/')}/payments/")

    merchants = rows.map(lambda row: (logic.merchant_key(row), logic.merchant_stats(row))).reduceByKey(logic.merge_stats)
    view = spark.createDataFrame(merchants.map(lambda kv: logic.merchant_view_tuple(*kv)), merchant_daily_schema)
    view.write.mode("overwrite").partitionBy("event_date").parquet(f"{args.curated_uri.rstrip('/')}/merchant_daily/")

    print(f"curated {rows.count()} events, {merchants.count()} merchant-days")
    spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
