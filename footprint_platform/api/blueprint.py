"""The API's blueprint class: flask-smorest's, parsing with a parser that treats JSON nested too
deeply as malformed. Its own module, so the API's modules need not import the package that
registers them."""

from __future__ import annotations

import json
from typing import Any

import flask_smorest
from webargs.flaskparser import FlaskParser


class ArgumentsParser(FlaskParser):  # type: ignore[misc]
    """webargs' parser, except that JSON nested too deeply for the decoder is malformed JSON
    (a 400 like any other), not a RecursionError (a 500)."""

    def _raw_load_json(self, req: Any) -> Any:
        try:
            return super()._raw_load_json(req)
        except RecursionError:
            error = json.JSONDecodeError("nested too deeply", "", 0)
            return self._handle_invalid_json_error(error, req)


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """The API's blueprints: flask-smorest's, parsing with `ArgumentsParser`."""

    ARGUMENTS_PARSER = ArgumentsParser()
