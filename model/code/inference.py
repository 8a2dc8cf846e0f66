"""Fraud-risk scoring for the SageMaker scikit-learn framework container.

The container calls model_fn(model_dir) once, then for each request
input_fn(body, content_type) -> predict_fn(data, model) -> output_fn(prediction, accept).
Standard library only. The features mirror scripts/lib/fraud-model.ts exactly; the
parity test in test/scripts/model-parity.test.ts holds the two within 1e-9.

Requests: `application/json` (one event object or an array of them) or
`application/jsonlines` (one event object per line). Responses: `application/json`,
{"model_version": "...", "predictions": [{"event_id", "score", "risk"}, ...]} in
request order. A bad content type or record raises ValueError with a message that
names the record; the container returns it to the caller as a model error.
"""
import json
import math
import os
from datetime import datetime, timezone

SCHEMA_VERSION = 1
JSON = "application/json"
JSON_LINES = "application/jsonlines"
CONTENT_TYPES = (JSON, JSON_LINES)
STRING_FIELDS = ("event_id", "event_time", "merchant_category", "currency", "country", "channel")


class InvalidRequest(ValueError):
    """The request cannot be scored; the message says why."""


def model_fn(model_dir):
    """Loads and checks model.json from the unpacked artifact."""
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        model = json.load(f)
    if model.get("schemaVersion") != SCHEMA_VERSION:
        raise ValueError(
            "model.json schemaVersion must be %d, got %r" % (SCHEMA_VERSION, model.get("schemaVersion"))
        )
    features = model["features"]
    width = len(features["names"])
    for key, values in (("weights", model["weights"]), ("mean", features["mean"]), ("std", features["std"])):
        if len(values) != width:
            raise ValueError("model.json %s has %d values for %d features" % (key, len(values), width))
    return model


def _media_type(header):
    return (header or "").split(";")[0].strip().lower()


def input_fn(request_body, request_content_type):
    """Decodes the body into a list of event dicts, validated for scoring."""
    media_type = _media_type(request_content_type)
    if media_type not in CONTENT_TYPES:
        raise InvalidRequest(
            "Unsupported content type %r: send %s" % (request_content_type, " or ".join(CONTENT_TYPES))
        )
    if isinstance(request_body, (bytes, bytearray)):
        try:
            request_body = request_body.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest("Request body is not valid UTF-8") from None
    if media_type == JSON:
        try:
            value = json.loads(request_body)
        except ValueError as err:
            raise InvalidRequest("Request body is not valid JSON: %s" % err) from None
        records = value if isinstance(value, list) else [value]
    else:
        records = []
        for number, line in enumerate(request_body.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError as err:
                raise InvalidRequest("Line %d is not valid JSON: %s" % (number, err)) from None
    if not records:
        raise InvalidRequest("Request has no events")
    for index, record in enumerate(records):
        _validate(index, record)
    return records


def _validate(index, record):
    def bad(message):
        raise InvalidRequest("Record %d: %s" % (index, message))

    if not isinstance(record, dict):
        bad("must be a JSON object")
    for field in STRING_FIELDS:
        if not isinstance(record.get(field), str) or not record[field]:
            bad("%s must be a non-empty string" % field)
    amount = record.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount) or amount <= 0:
        bad("amount must be a positive number")
    try:
        _utc_hour(record["event_time"])
    except ValueError:
        bad("event_time must be ISO-8601 with a UTC offset")


def _utc_hour(event_time):
    parsed = datetime.fromisoformat(event_time.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("no offset")
    return parsed.astimezone(timezone.utc).hour


def extract_features(event, features):
    """The unstandardized feature vector; the same order as features["names"]."""
    hour = _utc_hour(event["event_time"])
    night_from, night_to = features["nightHours"]
    home_currency = features["countryCurrency"].get(event["country"])
    return (
        [math.log1p(event["amount"]), 1.0 if event["merchant_category"] in features["highRiskCategories"] else 0.0]
        + [1.0 if event["channel"] == channel else 0.0 for channel in features["channels"]]
        + [1.0 if night_from <= hour < night_to else 0.0, 0.0 if home_currency == event["currency"] else 1.0]
    )


def score(event, model):
    """The fraud probability of one event."""
    features = model["features"]
    z = model["bias"]
    for x, mean, std, weight in zip(extract_features(event, features), features["mean"], features["std"], model["weights"]):
        z += weight * ((x - mean) / std)
    return 1.0 / (1.0 + math.exp(-z))


def risk_of(value, thresholds):
    if value >= thresholds["high"]:
        return "high"
    if value >= thresholds["medium"]:
        return "medium"
    return "low"


def predict_fn(input_data, model):
    """One {event_id, score, risk} per event, in order."""
    predictions = []
    for event in input_data:
        value = score(event, model)
        predictions.append({"event_id": event["event_id"], "score": value, "risk": risk_of(value, model["thresholds"])})
    return {"model_version": model["modelVersion"], "predictions": predictions}


def output_fn(prediction, accept):
    """Serializes to JSON; returns (body, content type) as the container expects."""
    media_type = _media_type(accept)
    if media_type not in ("", "*/*", JSON):
        raise InvalidRequest("Unsupported accept type %r: accept %s" % (accept, JSON))
    return json.dumps(prediction), JSON
