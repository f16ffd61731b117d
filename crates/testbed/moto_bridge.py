#!/usr/bin/env python3
"""moto's server with a Smithy RPC v2 CBOR bridge in front of it.

The Rust CloudWatch SDK speaks Smithy RPC v2 CBOR
(POST /service/GraniteServiceVersion20100801/operation/<Op>, header smithy-protocol: rpc-v2-cbor).
moto answers CloudWatch only in the Query and AWS JSON 1.0 protocols. This WSGI middleware
translates such a CBOR request into an AWS JSON 1.0 request for the same operation, hands it to
moto's own WSGI application in-process, and translates the reply (result or error) back to CBOR.
The translation is driven by botocore's service model, so timestamps, blobs and nested shapes keep
their types. Every other request goes to moto untouched.

Fault injection (tests only): POST /__faults with a JSON fault arms it; DELETE /__faults disarms
every fault; GET /__faults reports what is armed and how many requests were failed. A fault:
  "operation": "BatchWriteItem" or a list: the exact operation name (from X-Amz-Target, the CBOR
               path, or the Query protocol's Action); omitted = any operation
  "match":     a substring of the X-Amz-Target header, path or body; omitted = any request
  "skip":      let the first N matching requests through untouched (default 0)
  "every":     then fail every Nth matching request (default 1: each one)
  "share":     or fail this share (0..1) of matching requests, drawn from a generator seeded
               with "seed" (default 1), so a run is repeatable
  "count":     fail at most this many (default 1; null = no limit)
  "through":   the request takes effect in moto, then its answer is replaced by the error (an
               answer lost after the write happened)
  "status", "code": the HTTP status (500) and AWS error code (InternalError) of the failure.
The error comes in the request's protocol (XML for Query, JSON otherwise).

Usage: moto_bridge.py --port N [--host 127.0.0.1]
Prints "ready <port>" on stdout once it accepts connections.
"""

import argparse
import base64
import datetime
import gzip
import io
import json
import time
import random
import signal
import sys
import traceback

import botocore.session
from botocore.parsers import BaseCBORParser, JSONParser
from botocore.serialize import CBORSerializer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import make_server

CBOR_PATH_PREFIX = "/service/"


class _CborDecoder(BaseCBORParser):
    """botocore's CBOR reader, used on requests (it is written for responses)."""

    def decode(self, body: bytes):
        if not body:
            return {}
        return self.parse_data_item(self.get_peekable_stream_from_bytes(body))


class _CborEncoder(CBORSerializer):
    """botocore's shape-driven CBOR writer, used on responses (it is written for requests)."""

    TIMESTAMP_FORMAT = "unixtimestamp"

    def encode(self, value, shape) -> bytes:
        out = bytearray()
        if shape is None:
            self._encode_plain(out, value or {})
        else:
            self._serialize_data_item(out, value, shape)
        return bytes(out)

    def _encode_plain(self, out, value):
        """Maps, lists and strings without a shape (error bodies)."""
        if isinstance(value, dict):
            self._header(out, self.MAP_MAJOR_TYPE, len(value))
            for key, item in value.items():
                self._encode_plain(out, str(key))
                self._encode_plain(out, item)
        elif isinstance(value, list):
            self._header(out, self.LIST_MAJOR_TYPE, len(value))
            for item in value:
                self._encode_plain(out, item)
        else:
            self._serialize_type_string(out, str(value), None, None)

    def _header(self, out, major, length):
        info, num_bytes = self._get_additional_info_and_num_bytes(length)
        out.extend(self._get_initial_byte(major, info))
        if num_bytes:
            out.extend(length.to_bytes(num_bytes, "big"))


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return value


class CborBridge:
    def __init__(self, app):
        self.app = app
        session = botocore.session.get_session()
        self.models = {}
        for name in session.get_available_services():
            model = session.get_service_model(name)
            protocols = model.metadata.get("protocols") or [model.metadata.get("protocol")]
            prefix = model.metadata.get("targetPrefix")
            if "smithy-rpc-v2-cbor" in protocols and "json" in protocols and prefix:
                self.models[prefix] = model

    faults = []
    injected = 0

    def _faults(self, environ, start_response):
        method = environ.get("REQUEST_METHOD")
        if method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
            operations = spec.get("operation")
            if isinstance(operations, str):
                operations = [operations]
            count = spec.get("count", 1)
            CborBridge.faults.append(
                {
                    "operation": operations,
                    "match": spec.get("match"),
                    "skip": int(spec.get("skip", 0)),
                    "every": max(1, int(spec.get("every", 1))),
                    "share": spec.get("share"),
                    "rng": random.Random(spec.get("seed", 1)),
                    "count": None if count is None else int(count),
                    "through": bool(spec.get("through", False)),
                    "status": int(spec.get("status", 500)),
                    "code": spec.get("code", "InternalError"),
                    "seen": 0,
                    "failed": 0,
                }
            )
        elif method == "DELETE":
            CborBridge.faults = []
        armed = [{k: v for k, v in f.items() if k != "rng"} for f in CborBridge.faults]
        body = json.dumps({"armed": armed, "injected": CborBridge.injected}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _operation(environ, body):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            return target.rsplit(".", 1)[-1]
        path = environ.get("PATH_INFO", "")
        if path.startswith(CBOR_PATH_PREFIX) and "/operation/" in path:
            return path.rsplit("/", 1)[-1]
        if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            for pair in body.decode("utf-8", "replace").split("&"):
                if pair.startswith("Action="):
                    return pair[len("Action="):]
        return ""

    @staticmethod
    def _fires(fault, operation, text):
        """Whether this matching request is one the fault fails (and count it)."""
        if fault["operation"] is not None and operation not in fault["operation"]:
            return False
        if fault["match"] is not None and fault["match"] not in text:
            return False
        if fault["count"] is not None and fault["failed"] >= fault["count"]:
            return False
        fault["seen"] += 1
        if fault["seen"] <= fault["skip"]:
            return False
        if fault["share"] is not None:
            return fault["rng"].random() < float(fault["share"])
        return (fault["seen"] - fault["skip"]) % fault["every"] == 0

    def _maybe_fail(self, environ, start_response):
        """The fault this request must suffer, if any; the body is left readable."""
        if not CborBridge.faults:
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        text = " ".join(
            [environ.get("HTTP_X_AMZ_TARGET", ""), environ.get("PATH_INFO", ""), body.decode("utf-8", "replace")]
        )
        operation = self._operation(environ, body)
        for fault in CborBridge.faults:
            if self._fires(fault, operation, text):
                fault["failed"] += 1
                CborBridge.injected += 1
                return fault
        return None

    @staticmethod
    def _fail(environ, start_response, fault):
        message = "injected fault"
        if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            payload = (
                "<ErrorResponse><Error><Type>Receiver</Type><Code>%s</Code><Message>%s</Message></Error>"
                "<RequestId>fault</RequestId></ErrorResponse>" % (fault["code"], message)
            ).encode()
            ctype = "text/xml"
        elif environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
            payload = _CborEncoder().encode({"__type": fault["code"], "message": message}, None)
            ctype = "application/cbor"
        else:
            payload = json.dumps({"__type": fault["code"], "message": message}).encode()
            ctype = "application/x-amz-json-1.0"
        headers = [("Content-Type", ctype), ("Content-Length", str(len(payload))), ("x-amzn-RequestId", "fault")]
        if ctype == "application/cbor":
            headers.append(("smithy-protocol", "rpc-v2-cbor"))
        start_response("%d Injected" % fault["status"], headers)
        return [payload]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/__faults":
            return self._faults(environ, start_response)
        fault = self._maybe_fail(environ, start_response)
        if fault is not None and not fault["through"]:
            return self._fail(environ, start_response, fault)
        if fault is not None:
            # The request takes effect; only its answer is lost.
            chunks = self._serve(environ, lambda *_args, **_kw: (lambda _c: None), path)
            try:
                b"".join(chunks)
            finally:
                if hasattr(chunks, "close"):
                    chunks.close()
            return self._fail(environ, start_response, fault)
        return self._serve(environ, start_response, path)

    # cognito-idp operations moto 5.2.1 does not implement (it answers HTTP 500), kept here in
    # AWS's documented request and answer shapes: what a user pool's threat protection and log
    # export are set to, per (user pool, app client).
    gap_state = {}
    GAP_TARGET = "AWSCognitoIdentityProviderService."
    GAP_OPERATIONS = {
        "SetRiskConfiguration",
        "DescribeRiskConfiguration",
        "SetLogDeliveryConfiguration",
        "GetLogDeliveryConfiguration",
    }

    def _gap(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not target.startswith(self.GAP_TARGET):
            return None
        operation = target[len(self.GAP_TARGET):]
        if operation not in self.GAP_OPERATIONS:
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = json.loads(environ["wsgi.input"].read(length) or b"{}")
        pool = request.get("UserPoolId", "")
        if operation == "SetRiskConfiguration":
            key = ("risk", pool, request.get("ClientId") or "ALL")
            stored = {k: v for k, v in request.items() if v is not None}
            stored["LastModifiedDate"] = time.time()
            CborBridge.gap_state[key] = stored
            answer = {"RiskConfiguration": stored}
        elif operation == "DescribeRiskConfiguration":
            key = ("risk", pool, request.get("ClientId") or "ALL")
            answer = {"RiskConfiguration": CborBridge.gap_state.get(key, {"UserPoolId": pool})}
        elif operation == "SetLogDeliveryConfiguration":
            stored = {"UserPoolId": pool, "LogConfigurations": request.get("LogConfigurations", [])}
            CborBridge.gap_state[("logs", pool)] = stored
            answer = {"LogDeliveryConfiguration": stored}
        else:
            answer = {
                "LogDeliveryConfiguration": CborBridge.gap_state.get(
                    ("logs", pool), {"UserPoolId": pool, "LogConfigurations": []}
                )
            }
        body = json.dumps(answer).encode()
        start_response(
            "200 OK",
            [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body))),
             ("x-amzn-RequestId", "bridge-gap")],
        )
        return [body]

    def _serve(self, environ, start_response, path):
        gap = self._gap(environ, start_response)
        if gap is not None:
            return gap
        if environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor" and path.startswith(CBOR_PATH_PREFIX):
            try:
                return self._bridge(environ, start_response, path)
            except Exception as err:  # a bridge bug must reach the test as an error, not a hang
                traceback.print_exc(file=sys.stderr)
                return self._error(start_response, 500, "InternalFailure", f"bridge failed: {err!r}")
        return self.app(environ, start_response)

    def _bridge(self, environ, start_response, path):
        parts = path[len(CBOR_PATH_PREFIX):].split("/")
        if len(parts) != 3 or parts[1] != "operation" or parts[0] not in self.models:
            return self._error(start_response, 404, "UnknownOperationException", f"no CBOR bridge for {path}")
        model = self.models[parts[0]]
        try:
            operation = model.operation_model(parts[2])
        except Exception:  # botocore raises OperationNotFoundError
            return self._error(start_response, 404, "UnknownOperationException", f"unknown operation {parts[2]}")

        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        if environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
            body = gzip.decompress(body)
        try:
            request = _jsonable(_CborDecoder().decode(body))
        except Exception as err:  # malformed CBOR is the client's fault
            return self._error(start_response, 400, "SerializationException", f"bad CBOR: {err}")
        json_body = json.dumps(request).encode("utf-8")

        inner = dict(environ)
        inner["PATH_INFO"] = "/"
        inner["REQUEST_URI"] = "/"
        inner["RAW_URI"] = "/"
        inner["QUERY_STRING"] = ""
        inner["CONTENT_TYPE"] = "application/x-amz-json-1.0"
        inner["CONTENT_LENGTH"] = str(len(json_body))
        inner["HTTP_X_AMZ_TARGET"] = f"{model.metadata['targetPrefix']}.{operation.name}"
        inner["wsgi.input"] = io.BytesIO(json_body)
        for header in ("HTTP_SMITHY_PROTOCOL", "HTTP_CONTENT_ENCODING", "HTTP_ACCEPT"):
            inner.pop(header, None)

        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return lambda _chunk: None

        chunks = self.app(inner, capture)
        try:
            reply = b"".join(chunks)
        finally:
            if hasattr(chunks, "close"):
                chunks.close()
        status = captured.get("status", 500)
        request_id = next((v for k, v in captured.get("headers", []) if k.lower() == "x-amzn-requestid"), "bridge")
        parsed = JSONParser().parse(
            {"status_code": status, "headers": dict(captured.get("headers", [])), "body": reply},
            operation.output_shape,
        )
        if status >= 300 or "Error" in parsed and parsed["Error"].get("Code"):
            error = parsed.get("Error", {})
            return self._error(start_response, status if status >= 300 else 400,
                               error.get("Code") or "InternalFailure", error.get("Message") or reply.decode("utf-8", "replace"),
                               request_id)
        parsed.pop("ResponseMetadata", None)
        payload = _CborEncoder().encode(parsed, operation.output_shape)
        start_response("200 OK", self._headers(payload, request_id))
        return [payload]

    def _error(self, start_response, status, code, message, request_id="bridge"):
        payload = _CborEncoder().encode({"__type": code, "message": message}, None)
        headers = self._headers(payload, request_id) + [("x-amzn-query-error", f"{code};Sender")]
        start_response(f"{status} ERROR", headers)
        return [payload]

    @staticmethod
    def _headers(payload, request_id):
        return [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(payload))),
            ("x-amzn-RequestId", request_id),
        ]


def _transactions_snapshot_items_not_tables():
    """moto 5.2.1's TransactWriteItems backs up each table it touches, whole, once per item
    of the transaction (`copy.deepcopy(table)` in a loop), to roll back on failure: a
    100-item transaction on a table of N items copies 100 * N items, which on the trail
    table of a 50,000-record burst grows the server by gigabytes. This keeps moto's own
    transaction logic and answers, and backs up only the items the transaction names: the
    table copies become the tables themselves, and a cancelled transaction puts back (or
    removes) exactly those items. DynamoDB's writes are serialised (one lock, re-entrant: a
    transaction writes through put_item and update_item), so no other request's write lands
    between a transaction's backup and its rollback and is undone by it."""
    import copy as stdlib_copy
    import threading
    import types

    from moto.dynamodb import models as ddb
    from moto.dynamodb.models.table import Table

    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return stdlib_copy.deepcopy(value, memo)

    ddb.copy = types.SimpleNamespace(copy=stdlib_copy.copy, deepcopy=deepcopy)
    original = ddb.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        saved = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            name = op.get("TableName")
            table = self.tables.get(name)
            if table is None:
                continue
            if "Key" in op:
                key = op["Key"]
            else:
                attrs = op.get("Item", {})
                key = {
                    k: attrs[k]
                    for k in (table.hash_key_attr, table.range_key_attr)
                    if k is not None and k in attrs
                }
            try:
                current = self.get_item(name, key)
            except Exception:
                continue
            before = (
                stdlib_copy.deepcopy(current.to_json()["Attributes"]) if current else None
            )
            saved.append((name, key, before))
        try:
            return original(self, transact_items)
        except Exception:
            for name, key, before in reversed(saved):
                if before is None:
                    if self.get_item(name, key) is not None:
                        self.delete_item(name, key)
                else:
                    self.put_item(name, before)
            raise

    ddb.DynamoDBBackend.transact_write_items = transact_write_items

    writes = threading.RLock()

    def serialised(method):
        def write(self, *args, **kwargs):
            with writes:
                return method(self, *args, **kwargs)

        return write

    for name in ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"):
        if hasattr(ddb.DynamoDBBackend, name):
            setattr(ddb.DynamoDBBackend, name, serialised(getattr(ddb.DynamoDBBackend, name)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

    _transactions_snapshot_items_not_tables()
    app = CborBridge(DomainDispatcherApplication(create_backend_app))
    server = make_server(args.host, args.port, app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"ready {server.server_port}", flush=True)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
