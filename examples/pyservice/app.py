"""A small Flask app with the anti-patterns connlint finds. Run: connlint examples/"""

import requests
from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/healthz")
def healthz():
    return "ok", 200, {"Connection": "close"}


@app.route("/users/<int:user_id>")
def user(user_id):
    upstream = requests.get(
        f"http://users.internal/{user_id}", headers={"Connection": "close"}, timeout=5
    )
    resp = jsonify(upstream.json())
    resp.headers["Connection"] = "close"
    return resp
