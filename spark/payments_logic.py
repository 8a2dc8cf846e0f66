"""Row-level logic of the curation job, in plain Python (no pyspark import).

curate_payments.py calls these functions on the executors (mapPartitions, reduceByKey),
so the unit tests in test/python exercise exactly what the job runs.

Raw records follow lambda/shared/payment-event.ts: PAYMENT_EVENT_FIELDS plus
`ingested_at`, one JSON object per line, already normalized by the Firehose transform.
"""

import json
import re
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

#: Columns of the curated payments table, in order (event_date is the partition).
CURATED_FIELDS = (
    "event_id",
    "event_time",
    "customer_id",
    "merchant_id",
    "merchant_category",
    "amount",
    "currency",
    "country",
    "channel",
    "is_fraud",
    "ingested_at",
)

#: Columns of the daily per-merchant view, in order (event_date is the partition).
MERCHANT_DAILY_FIELDS = (
    "merchant_id",
    "merchant_category",
    "event_count",
    "total_amount",
    "fraud_count",
    "fraud_rate",
)

#: The longest date range one run may cover, to keep a typo from reading years of data.
MAX_RANGE_DAYS = 366

_CENT = Decimal("0.01")
#: decimal(18,2) holds at most 16 digits before the point.
_MAX_AMOUNT = Decimal("9999999999999999.99")
_DAY_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_STRING_FIELDS = ("event_id", "customer_id", "merchant_id", "merchant_category", "currency", "country", "channel")


class RecordError(ValueError):
    """A raw line that cannot become a curated row. The message says why."""


def parse_day(text):
    """'YYYY-MM-DD' -> date, or ValueError naming the bad value."""
    try:
        if not _DAY_PATTERN.match(text):
            raise ValueError(text)
        return datetime.strptime(text, "%Y-%m-%d").date()
    except (TypeError, ValueError):
        raise ValueError(f"date must be YYYY-MM-DD, got {text!r}") from None


def date_range(start, end):
    """Every date from start to end inclusive, as 'YYYY-MM-DD' strings."""
    first, last = parse_day(start), parse_day(end)
    if last < first:
        raise ValueError(f"end date {end} is before start date {start}")
    days = (last - first).days + 1
    if days > MAX_RANGE_DAYS:
        raise ValueError(f"date range covers {days} days, more than {MAX_RANGE_DAYS}")
    return [(first + timedelta(days=i)).isoformat() for i in range(days)]


def dates_for_run(as_of, lookback_days):
    """The `lookback_days` whole UTC days before `as_of` (an ISO-8601 time), oldest first.

    A scheduled run at 02:00 with lookback 2 rebuilds the two previous days, so events that
    arrived late for the day before yesterday are picked up too.
    """
    if not isinstance(lookback_days, int) or lookback_days < 1:
        raise ValueError(f"lookback days must be a whole number >= 1, got {lookback_days!r}")
    today = parse_time(as_of, "as_of").date()
    return date_range((today - timedelta(days=lookback_days)).isoformat(), (today - timedelta(days=1)).isoformat())


def partition_path(base_uri, day):
    """The raw or curated partition for one day: <base>/event_date=YYYY-MM-DD/."""
    return f"{base_uri.rstrip('/')}/event_date={parse_day(day).isoformat()}/"


def parse_time(value, field):
    """ISO-8601 with 'Z' or an offset -> aware UTC datetime."""
    if not isinstance(value, str):
        raise RecordError(f"{field} must be an ISO-8601 string")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise RecordError(f"{field} is not ISO-8601: {value!r}") from None
    if parsed.tzinfo is None:
        raise RecordError(f"{field} has no UTC offset: {value!r}")
    return parsed.astimezone(timezone.utc)


def cast_amount(value):
    """A JSON number or decimal string -> Decimal with 2 places, as decimal(18,2) stores it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise RecordError("amount must be a number")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise RecordError(f"amount is not a number: {value!r}") from None
    if not amount.is_finite() or amount <= 0 or amount > _MAX_AMOUNT:
        raise RecordError(f"amount must be positive and fit decimal(18,2), got {value!r}")
    return amount.quantize(_CENT, rounding=ROUND_HALF_EVEN)


def cast_record(record):
    """A raw record (dict) -> a curated row (dict, CURATED_FIELDS plus event_date).

    event_time and ingested_at become aware UTC datetimes, amount a Decimal(18,2), is_fraud
    True/False/None. event_date is the UTC date of event_time. Raises RecordError.
    """
    if not isinstance(record, dict):
        raise RecordError("record must be a JSON object")
    row = {}
    for field in _STRING_FIELDS:
        value = record.get(field)
        if not isinstance(value, str) or value == "":
            raise RecordError(f"{field} must be a non-empty string")
        row[field] = value
    row["event_time"] = parse_time(record.get("event_time"), "event_time")
    row["ingested_at"] = parse_time(record.get("ingested_at"), "ingested_at")
    row["amount"] = cast_amount(record.get("amount"))
    label = record.get("is_fraud")
    if label is not None and not isinstance(label, bool):
        raise RecordError("is_fraud must be true, false or null")
    row["is_fraud"] = label
    row["event_date"] = row["event_time"].date().isoformat()
    return row


def parse_line(line):
    """One raw JSON line -> curated row. Raises RecordError."""
    try:
        record = json.loads(line)
    except (TypeError, ValueError) as err:
        raise RecordError(f"line is not JSON: {err}") from None
    return cast_record(record)


def parse_lines(lines):
    """Lines -> ('ok', row) or ('rejected', reason, line) tuples. Never raises for bad input."""
    for line in lines:
        if not line.strip():
            continue
        try:
            yield ("ok", parse_line(line))
        except RecordError as err:
            yield ("rejected", str(err), line)


def _preference(row):
    # Earliest arrival wins; the rest of the row breaks ties, so the choice is deterministic.
    return (row["ingested_at"], tuple(str(row[f]) for f in CURATED_FIELDS))


def prefer(a, b):
    """Of two deliveries of the same event, the one to keep: the earliest ingested_at."""
    return a if _preference(a) <= _preference(b) else b


def dedup(rows):
    """Rows -> one row per event_id (see prefer), in event_id order.

    The job does the same with reduceByKey(prefer) keyed by event_id.
    """
    kept = {}
    for row in rows:
        current = kept.get(row["event_id"])
        kept[row["event_id"]] = row if current is None else prefer(current, row)
    return [kept[k] for k in sorted(kept)]


def to_curated_tuple(row):
    """A curated row as a tuple in CURATED_FIELDS order, then event_date."""
    return tuple(row[f] for f in CURATED_FIELDS) + (row["event_date"],)


def merchant_key(row):
    """Grouping key of the daily per-merchant view."""
    return (row["event_date"], row["merchant_id"], row["merchant_category"])


def merchant_stats(row):
    """One row's contribution: (event_count, total_amount, fraud_count)."""
    return (1, row["amount"], 1 if row["is_fraud"] is True else 0)


def merge_stats(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def merchant_view_tuple(key, stats):
    """(key, stats) -> a merchant-daily tuple in MERCHANT_DAILY_FIELDS order, then event_date.

    fraud_rate is fraud_count / event_count; events without a label count as not fraud.
    """
    event_date, merchant_id, merchant_category = key
    count, total, frauds = stats
    return (merchant_id, merchant_category, count, total.quantize(_CENT), frauds, frauds / count, event_date)


def merchant_daily(rows):
    """Rows -> the daily per-merchant view, sorted by (event_date, merchant_id, merchant_category).

    The job does the same with map(merchant_key, merchant_stats), reduceByKey(merge_stats) and
    merchant_view_tuple.
    """
    totals = {}
    for row in rows:
        key = merchant_key(row)
        stats = merchant_stats(row)
        totals[key] = stats if key not in totals else merge_stats(totals[key], stats)
    return [merchant_view_tuple(k, totals[k]) for k in sorted(totals)]

