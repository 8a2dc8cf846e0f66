"""Unit tests for spark/payments_logic.py (stdlib unittest; no Spark needed)."""

import json
import os
import sys
import unittest
from datetime import datetime, timezone
from decimal import Decimal

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "spark"))

import payments_logic as logic  # noqa: E402


def raw(**overrides):
    record = {
        "event_id": "e-1",
        "event_time": "2026-11-20T23:59:59.000Z",
        "customer_id": "c-1",
        "merchant_id": "m-1",
        "merchant_category": "5411",
        "amount": 12.5,
        "currency": "EUR",
        "country": "DE",
        "channel": "POS",
        "is_fraud": False,
        "ingested_at": "2026-11-21T00:00:03.000Z",
    }
    record.update(overrides)
    return record


def row(**overrides):
    return logic.cast_record(raw(**overrides))


class DateRangeTest(unittest.TestCase):
    def test_lists_every_day_inclusive(self):
        self.assertEqual(logic.date_range("2026-02-27", "2026-03-01"), ["2026-02-27", "2026-02-28", "2026-03-01"])

    def test_one_day(self):
        self.assertEqual(logic.date_range("2026-11-20", "2026-11-20"), ["2026-11-20"])

    def test_rejects_end_before_start(self):
        with self.assertRaisesRegex(ValueError, r"^end date 2026-11-19 is before start date 2026-11-20$"):
            logic.date_range("2026-11-20", "2026-11-19")

    def test_rejects_bad_dates(self):
        for bad in ["2026-11-31", "20261120", "2026-1-2", None]:
            with self.subTest(bad=bad), self.assertRaisesRegex(ValueError, r"^date must be YYYY-MM-DD, got "):
                logic.date_range(bad, "2026-12-01")

    def test_rejects_more_than_a_year(self):
        with self.assertRaisesRegex(ValueError, r"^date range covers 367 days, more than 366$"):
            logic.date_range("2026-01-01", "2027-01-02")

    def test_dates_for_run_are_the_days_before_as_of(self):
        self.assertEqual(logic.dates_for_run("2026-11-22T02:00:00Z", 2), ["2026-11-20", "2026-11-21"])
        self.assertEqual(logic.dates_for_run("2026-03-01T00:30:00+01:00", 1), ["2026-02-27"])

    def test_dates_for_run_rejects_bad_lookback(self):
        with self.assertRaisesRegex(ValueError, r"^lookback days must be a whole number >= 1, got 0$"):
            logic.dates_for_run("2026-11-22T02:00:00Z", 0)


class PartitionPathTest(unittest.TestCase):
    def test_builds_the_event_date_partition(self):
        self.assertEqual(
            logic.partition_path("s3://raw-bucket/raw/payments/", "2026-11-20"),
            "s3://raw-bucket/raw/payments/event_date=2026-11-20/",
        )
        self.assertEqual(
            logic.partition_path("s3://raw-bucket/raw/payments", "2026-11-20"),
            "s3://raw-bucket/raw/payments/event_date=2026-11-20/",
        )

    def test_rejects_a_bad_day(self):
        with self.assertRaises(ValueError):
            logic.partition_path("s3://b/raw/payments", "2026-13-01")


class CastRecordTest(unittest.TestCase):
    def test_casts_types(self):
        r = row(amount="1234.5", is_fraud=True)
        self.assertEqual(r["event_time"], datetime(2026, 11, 20, 23, 59, 59, tzinfo=timezone.utc))
        self.assertEqual(r["ingested_at"], datetime(2026, 11, 21, 0, 0, 3, tzinfo=timezone.utc))
        self.assertEqual(r["amount"], Decimal("1234.50"))
        self.assertEqual(r["amount"].as_tuple().exponent, -2)
        self.assertIs(r["is_fraud"], True)

    def test_event_date_is_the_utc_date_of_event_time(self):
        self.assertEqual(row()["event_date"], "2026-11-20")
        self.assertEqual(row(event_time="2026-11-21T00:30:00+01:00")["event_date"], "2026-11-20")

    def test_keeps_a_missing_label_as_none(self):
        self.assertIsNone(row(is_fraud=None)["is_fraud"])
        record = raw()
        del record["is_fraud"]
        self.assertIsNone(logic.cast_record(record)["is_fraud"])

    def test_amount_from_a_float_keeps_its_decimal_digits(self):
        self.assertEqual(row(amount=0.1)["amount"], Decimal("0.10"))
        self.assertEqual(row(amount=19.99)["amount"], Decimal("19.99"))

    def test_rejects_bad_records_with_a_reason(self):
        cases = [
            (raw(event_id=""), "event_id must be a non-empty string"),
            (raw(merchant_id=7), "merchant_id must be a non-empty string"),
            (raw(event_time="yesterday"), "event_time is not ISO-8601: 'yesterday'"),
            (raw(event_time="2026-11-20T10:00:00"), "event_time has no UTC offset: '2026-11-20T10:00:00'"),
            (raw(ingested_at=None), "ingested_at must be an ISO-8601 string"),
            (raw(amount=-1), "amount must be positive and fit decimal(18,2), got -1"),
            (raw(amount="NaN"), "amount must be positive and fit decimal(18,2), got 'NaN'"),
            (raw(amount=True), "amount must be a number"),
            (raw(amount="12,50"), "amount is not a number: '12,50'"),
            (raw(is_fraud="yes"), "is_fraud must be true, false or null"),
            ([1, 2], "record must be a JSON object"),
        ]
        for record, reason in cases:
            with self.subTest(reason=reason), self.assertRaises(logic.RecordError) as caught:
                logic.cast_record(record)
            self.assertEqual(str(caught.exception), reason)

    def test_parse_lines_separates_rejects_and_skips_blank_lines(self):
        lines = [json.dumps(raw()), "", "{not json", json.dumps(raw(amount=0))]
        results = list(logic.parse_lines(lines))
        self.assertEqual([r[0] for r in results], ["ok", "rejected", "rejected"])
        self.assertTrue(results[1][1].startswith("line is not JSON: "))
        self.assertEqual(results[1][2], "{not json")
        self.assertEqual(results[2][1], "amount must be positive and fit decimal(18,2), got 0")


class DedupTest(unittest.TestCase):
    def test_prefer_keeps_the_earliest_ingested_at(self):
        first = row(ingested_at="2026-11-21T00:00:01Z")
        again = row(ingested_at="2026-11-21T00:05:00Z")
        self.assertIs(logic.prefer(first, again), first)
        self.assertIs(logic.prefer(again, first), first)

    def test_prefer_is_deterministic_on_equal_arrival(self):
        a = row(channel="ECOM")
        b = row(channel="POS")
        self.assertIs(logic.prefer(a, b), logic.prefer(b, a))

    def test_dedup_keeps_one_row_per_event(self):
        rows = [
            row(event_id="e-2", ingested_at="2026-11-21T00:00:09Z"),
            row(event_id="e-1", ingested_at="2026-11-21T00:00:05Z", amount=1),
            row(event_id="e-1", ingested_at="2026-11-21T00:00:02Z", amount=2),
            row(event_id="e-2", ingested_at="2026-11-21T00:00:01Z"),
        ]
        kept = logic.dedup(rows)
        self.assertEqual([(r["event_id"], r["ingested_at"].second) for r in kept], [("e-1", 2), ("e-2", 1)])
        self.assertEqual(kept[0]["amount"], Decimal("2.00"))

    def test_to_curated_tuple_follows_the_column_order(self):
        t = logic.to_curated_tuple(row())
        self.assertEqual(len(t), len(logic.CURATED_FIELDS) + 1)
        self.assertEqual(t[0], "e-1")
        self.assertEqual(t[-1], "2026-11-20")
        self.assertEqual(t[logic.CURATED_FIELDS.index("amount")], Decimal("12.50"))


class MerchantDailyTest(unittest.TestCase):
    def test_aggregates_per_merchant_and_day(self):
        rows = [
            row(event_id="a", merchant_id="m-1", amount="10.10", is_fraud=True),
            row(event_id="b", merchant_id="m-1", amount="5.05", is_fraud=False),
            row(event_id="c", merchant_id="m-1", amount="1.00", is_fraud=None),
            row(event_id="d", merchant_id="m-1", amount="3", is_fraud=True),
            row(event_id="e", merchant_id="m-2", merchant_category="5732", amount="7", is_fraud=False),
            row(event_id="f", merchant_id="m-1", event_time="2026-11-21T08:00:00Z", amount="2"),
        ]
        self.assertEqual(
            logic.merchant_daily(rows),
            [
                ("m-1", "5411", 4, Decimal("19.15"), 2, 0.5, "2026-11-20"),
                ("m-2", "5732", 1, Decimal("7.00"), 0, 0.0, "2026-11-20"),
                ("m-1", "5411", 1, Decimal("2.00"), 0, 0.0, "2026-11-21"),
            ],
        )

    def test_merge_stats_adds_fieldwise(self):
        self.assertEqual(logic.merge_stats((1, Decimal("1.00"), 0), (2, Decimal("2.50"), 1)), (3, Decimal("3.50"), 1))

    def test_view_tuple_matches_the_contract_columns(self):
        self.assertEqual(
            logic.MERCHANT_DAILY_FIELDS,
            ("merchant_id", "merchant_category", "event_count", "total_amount", "fraud_count", "fraud_rate"),
        )


if __name__ == "__main__":
    unittest.main()
