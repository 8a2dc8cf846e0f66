"""Unit tests for model/code/inference.py (the SageMaker container contract)."""
import importlib.util
import json
import os
import shutil
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL_DIR = os.path.join(ROOT, "model")

_spec = importlib.util.spec_from_file_location("inference", os.path.join(MODEL_DIR, "code", "inference.py"))
inference = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(inference)

EVENT = {
    "event_id": "evt-1",
    "event_time": "2026-01-01T03:15:00.000Z",
    "customer_id": "cust-1",
    "merchant_id": "merch-1",
    "merchant_category": "7995",
    "amount": 2500,
    "currency": "USD",
    "country": "NG",
    "channel": "ECOM",
    "is_fraud": None,
}
ROUTINE = dict(EVENT, event_id="evt-2", event_time="2026-01-01T12:00:00.000Z", merchant_category="5411",
               amount=25, country="US", channel="POS")


class ModelFnTest(unittest.TestCase):
    def test_loads_the_committed_model(self):
        model = inference.model_fn(MODEL_DIR)
        self.assertEqual(model["schemaVersion"], 1)
        self.assertEqual(len(model["weights"]), len(model["features"]["names"]))

    def test_rejects_another_schema_version(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(os.path.join(MODEL_DIR, "model.json"), encoding="utf-8") as f:
                model = json.load(f)
            model["schemaVersion"] = 2
            with open(os.path.join(tmp, "model.json"), "w", encoding="utf-8") as f:
                json.dump(model, f)
            with self.assertRaisesRegex(ValueError, r"^model.json schemaVersion must be 1, got 2$"):
                inference.model_fn(tmp)

    def test_rejects_weights_that_do_not_match_the_features(self):
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(os.path.join(MODEL_DIR, "model.json"), tmp)
            path = os.path.join(tmp, "model.json")
            with open(path, encoding="utf-8") as f:
                model = json.load(f)
            model["weights"] = model["weights"][:-1]
            with open(path, "w", encoding="utf-8") as f:
                json.dump(model, f)
            with self.assertRaisesRegex(ValueError, r"^model.json weights has 8 values for 9 features$"):
                inference.model_fn(tmp)


class InputFnTest(unittest.TestCase):
    def test_accepts_one_json_object(self):
        self.assertEqual(inference.input_fn(json.dumps(EVENT).encode(), "application/json"), [EVENT])

    def test_accepts_a_json_array_with_a_charset_parameter(self):
        body = json.dumps([EVENT, ROUTINE])
        self.assertEqual(inference.input_fn(body, "application/json; charset=utf-8"), [EVENT, ROUTINE])

    def test_accepts_json_lines_and_skips_blank_lines(self):
        body = "%s\n\n%s\n" % (json.dumps(EVENT), json.dumps(ROUTINE))
        self.assertEqual(inference.input_fn(body.encode(), "application/jsonlines"), [EVENT, ROUTINE])

    def test_rejects_an_unsupported_content_type(self):
        with self.assertRaisesRegex(
            inference.InvalidRequest, r"^Unsupported content type 'text/csv': send application/json or application/jsonlines$"
        ):
            inference.input_fn(b"1,2", "text/csv")

    def test_rejects_invalid_json(self):
        with self.assertRaisesRegex(inference.InvalidRequest, r"^Request body is not valid JSON: "):
            inference.input_fn(b"{", "application/json")

    def test_rejects_a_bad_json_line_by_number(self):
        with self.assertRaisesRegex(inference.InvalidRequest, r"^Line 2 is not valid JSON: "):
            inference.input_fn(b'{"a": 1}\n{', "application/jsonlines")

    def test_rejects_invalid_utf8(self):
        with self.assertRaisesRegex(inference.InvalidRequest, r"^Request body is not valid UTF-8$"):
            inference.input_fn(b"\xff", "application/json")

    def test_rejects_an_empty_request(self):
        with self.assertRaisesRegex(inference.InvalidRequest, r"^Request has no events$"):
            inference.input_fn(b"[]", "application/json")

    def test_names_the_bad_record_and_field(self):
        cases = [
            ([EVENT, "x"], r"^Record 1: must be a JSON object$"),
            ([dict(EVENT, channel=None)], r"^Record 0: channel must be a non-empty string$"),
            ([dict(EVENT, amount=-1)], r"^Record 0: amount must be a positive number$"),
            ([dict(EVENT, amount=True)], r"^Record 0: amount must be a positive number$"),
            ([dict(EVENT, amount="12.50")], r"^Record 0: amount must be a positive number$"),
            ([dict(EVENT, event_time="2026-01-01T03:15:00")], r"^Record 0: event_time must be ISO-8601 with a UTC offset$"),
            ([dict(EVENT, event_time="yesterday")], r"^Record 0: event_time must be ISO-8601 with a UTC offset$"),
        ]
        for records, message in cases:
            with self.subTest(message=message):
                with self.assertRaisesRegex(inference.InvalidRequest, message):
                    inference.input_fn(json.dumps(records), "application/json")


class PredictAndOutputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.model = inference.model_fn(MODEL_DIR)

    def test_scores_each_event_in_order_with_its_risk(self):
        result = inference.predict_fn([EVENT, ROUTINE], self.model)
        self.assertEqual(result["model_version"], self.model["modelVersion"])
        self.assertEqual([p["event_id"] for p in result["predictions"]], ["evt-1", "evt-2"])
        self.assertEqual([p["risk"] for p in result["predictions"]], ["high", "low"])
        for p in result["predictions"]:
            self.assertTrue(0 < p["score"] < 1)

    def test_offsets_are_converted_to_utc_for_the_night_feature(self):
        # 23:15 at -04:00 is 03:15 UTC: night.
        shifted = dict(EVENT, event_time="2025-12-31T23:15:00-04:00")
        self.assertEqual(inference.score(shifted, self.model), inference.score(EVENT, self.model))

    def test_serializes_json_for_json_or_any_accept(self):
        prediction = {"model_version": "1", "predictions": [{"event_id": "e", "score": 0.5, "risk": "medium"}]}
        for accept in ("application/json", "*/*", None):
            with self.subTest(accept=accept):
                body, content_type = inference.output_fn(prediction, accept)
                self.assertEqual(content_type, "application/json")
                self.assertEqual(json.loads(body), prediction)

    def test_rejects_an_unsupported_accept_type(self):
        with self.assertRaisesRegex(inference.InvalidRequest, r"^Unsupported accept type 'text/csv': accept application/json$"):
            inference.output_fn({}, "text/csv")


if __name__ == "__main__":
    unittest.main()
