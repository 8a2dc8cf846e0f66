"""The job's command line (spark/curate_payments.py); pyspark is not needed to parse it."""

import contextlib
import io
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "spark"))

import curate_payments  # noqa: E402

BASE = ["--raw-uri", "s3://raw/raw/payments", "--curated-uri", "s3://curated/curated"]


def parse_error(argv):
    """The argparse error message for argv (argparse exits with status 2)."""
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), unittest.TestCase().assertRaises(SystemExit) as caught:
        curate_payments.parse_args(argv)
    assert caught.exception.code == 2
    return stderr.getvalue().strip().splitlines()[-1]


class ParseArgsTest(unittest.TestCase):
    def test_a_date_range(self):
        args = curate_payments.parse_args(BASE + ["--start-date", "2026-11-20", "--end-date", "2026-11-21"])
        self.assertEqual(args.dates, ["2026-11-20", "2026-11-21"])
        self.assertEqual(args.raw_uri, "s3://raw/raw/payments")
        self.assertEqual(args.curated_uri, "s3://curated/curated")

    def test_a_scheduled_run_takes_the_days_before_as_of(self):
        args = curate_payments.parse_args(BASE + ["--as-of", "2026-11-22T02:00:00Z", "--lookback-days", "3"])
        self.assertEqual(args.dates, ["2026-11-19", "2026-11-20", "2026-11-21"])

    def test_needs_a_range_or_as_of(self):
        self.assertEqual(
            parse_error(BASE + ["--start-date", "2026-11-20"]),
            "curate_payments.py: error: give --start-date and --end-date, or --as-of",
        )

    def test_reports_a_bad_range(self):
        self.assertEqual(
            parse_error(BASE + ["--start-date", "2026-11-21", "--end-date", "2026-11-20"]),
            "curate_payments.py: error: end date 2026-11-20 is before start date 2026-11-21",
        )

    def test_needs_both_uris(self):
        self.assertIn("the following arguments are required: --curated-uri", parse_error(["--raw-uri", "s3://r"]))


if __name__ == "__main__":
    unittest.main()
