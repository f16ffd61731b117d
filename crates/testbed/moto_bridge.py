#!/usr/bin/env python3
"""moto's server with a Smithy RPC v2 CBOR bridge in front of it.

The Rust CloudWatch SDK speaks Smithy RPC v2 CBOR
(POST /service/GraniteServiceVersion20100801/operation/<Op>, header smithy-protocol: rpc-v2-cbor).
moto answers CloudWatch only in the Query and AWS JSON 1.0 protocols. This WSGI middleware
translates such a CBOR request into an AWS JSON 1.0 request for the same operation, hands it to
moto's own WSGI application in-process, and translates the reply (result or error) back to CBOR.
The translation is driven by botocore's service model, so timestamps, blobs and nested shapes keep
their types. Every other request goes to moto untouched.

Fault injection (tests only): POST /__faults with {"match": "<substring>", "count": N,
"status": 500, "code": "InternalError"} makes the next N requests whose X-Amz-Target header,
path or body contains the substring fail with that status and an AWS error in the request's
protocol (XML for Query, JSON otherwise). GET /__faults reports what is armed and how many
requests were failed.

Usage: moto_bridge.py --port N [--host 127.0.0.1]
Prints "ready <port>" on stdout once it accepts connections.
"""

import argparse
import base64
import datetime
import gzip
import io
import json
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
        if environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            spec = json.loads(environ["wsgi.input"].read(length) or b"{}")
            CborBridge.faults.append(
                {
                    "match": spec["match"],
                    "count": int(spec.get("count", 1)),
                    "status": int(spec.get("status", 500)),
                    "code": spec.get("code", "InternalError"),
                }
            )
        body = json.dumps({"armed": CborBridge.faults, "injected": CborBridge.injected}).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    def _maybe_fail(self, environ, start_response):
        """Fail this request if an armed fault matches it; else None (body left readable)."""
        if not CborBridge.faults:
            return None
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        text = " ".join(
            [environ.get("HTTP_X_AMZ_TARGET", ""), environ.get("PATH_INFO", ""), body.decode("utf-8", "replace")]
        )
        for fault in CborBridge.faults:
            if fault["count"] > 0 and fault["match"] in text:
                fault["count"] -= 1
                CborBridge.injected += 1
                CborBridge.faults = [f for f in CborBridge.faults if f["count"] > 0]
                message = "injected fault"
                if "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
                    payload = (
                        "<ErrorResponse><Error><Type>Receiver</Type><Code>%s</Code><Message>%s</Message></Error>"
                        "<RequestId>fault</RequestId></ErrorResponse>" % (fault["code"], message)
                    ).encode()
                    ctype = "text/xml"
                else:
                    payload = json.dumps({"__type": fault["code"], "message": message}).encode()
                    ctype = "application/x-amz-json-1.0"
                start_response(
                    "%d Injected" % fault["status"],
                    [("Content-Type", ctype), ("Content-Length", str(len(payload))), ("x-amzn-RequestId", "fault")],
                )
                return [payload]
        return None

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/__faults":
            return self._faults(environ, start_response)
        failed = self._maybe_fail(environ, start_response)
        if failed is not None:
            return failed
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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)

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
